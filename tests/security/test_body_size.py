"""Attack 6: huge request bodies. The app reads at most MAX_CONTENT_LENGTH (256 KB) and
the API at most 64 KB; beyond, a 413 (JSON for the API, a page for shoppers), nothing
written."""
import io

from tests.factories import make_checkout


def test_a_huge_multipart_post_to_the_pay_form_is_a_413_page(app, client, merchant, counts):
    checkout_id = make_checkout(merchant)
    before = counts()
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"method\"\r\n\r\nmtn_bj\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; "
            f"filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + b"0" * (1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    r = client.post(f"/c/{checkout_id}/pay", data=body,
                    content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 413
    assert r.mimetype == "text/html" and b"Too much was sent" in r.data
    assert counts() == before


def test_a_large_api_body_is_a_413_json(client, merchant, counts):
    before = counts()
    body = b'{"order_id": "A", "metadata": {"x": "' + b"y" * (70 * 1024) + b'"}}'
    r = client.post("/api/v1/checkouts", data=body, content_type="application/json",
                    headers=merchant.auth)
    assert r.status_code == 413 and r.is_json
    assert r.json["error"]["type"] == "invalid_request_error"
    assert counts() == before


def test_a_body_without_a_length_is_limited_too(client, merchant, counts):
    """A chunked body (no Content-Length) is cut where the limit is reached."""
    before = counts()
    r = client.post("/api/v1/checkouts", input_stream=io.BytesIO(b" " * (400 * 1024)),
                    headers={**merchant.auth, "Content-Type": "application/json",
                             "Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets
    assert r.status_code == 413 and r.is_json
    assert counts() == before


def test_a_streamed_api_body_over_the_api_limit_is_a_413(client, merchant, counts):
    before = counts()
    r = client.post("/api/v1/checkouts", input_stream=io.BytesIO(b" " * (100 * 1024)),
                    headers={**merchant.auth, "Content-Type": "application/json",
                             "Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413 and r.is_json
    assert counts() == before
