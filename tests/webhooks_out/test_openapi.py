"""The OpenAPI document tells the truth about the webhook and event responses."""
from checkout.extensions import db
from checkout.models import Event
from tests.api.test_openapi import Checker

from .support import cancel, run_jobs


def test_webhook_and_event_responses_match_the_document(app, client, merchant, receiver,
                                                        fast):
    doc = client.get("/api/v1/openapi.json").get_json()
    check = Checker(doc)
    auth = merchant.auth

    def post(path, body=None, **headers):
        return client.post("/api/v1" + path, json=body, headers={**auth, **headers})

    def get(path):
        return client.get("/api/v1" + path, headers=auth)

    created = check("/webhook_endpoints", "post", post("/webhook_endpoints",
                    {"url": receiver.url, "events": ["checkout.canceled"], "description": "d"},
                    **{"Idempotency-Key": "k"}))
    we = created.get_json()["id"]
    check("/webhook_endpoints", "post", post("/webhook_endpoints", {"url": receiver.url},
                                             **{"Idempotency-Key": "k"}))          # 409
    check("/webhook_endpoints", "post", post("/webhook_endpoints", {"url": "ftp://x/"}))
    check("/webhook_endpoints", "post", client.post("/api/v1/webhook_endpoints", json={}))
    check("/webhook_endpoints", "get", get("/webhook_endpoints?limit=1"))
    check("/webhook_endpoints", "get", get("/webhook_endpoints?limit=0"))
    check("/webhook_endpoints/{id}", "get", get(f"/webhook_endpoints/{we}"))
    check("/webhook_endpoints/{id}", "get", get("/webhook_endpoints/we_nope"))
    check("/webhook_endpoints/{id}", "post", post(f"/webhook_endpoints/{we}",
                                                  {"description": None, "enabled": True}))
    check("/webhook_endpoints/{id}", "post", post(f"/webhook_endpoints/{we}", {"x": 1}))
    check("/webhook_endpoints/{id}/rotate_secret", "post",
          post(f"/webhook_endpoints/{we}/rotate_secret"))
    cancel(merchant.id)
    run_jobs(app)
    event_id = db.session.execute(db.select(Event.id)).scalar_one()
    check("/events", "get", get("/events"))
    check("/events", "get", get("/events?type=nope"))
    check("/events/{id}", "get", get(f"/events/{event_id}"))
    check("/events/{id}", "get", get("/events/evt_nope"))
    check("/events/{id}/deliveries", "get", get(f"/events/{event_id}/deliveries"))
    check("/events/{id}/redeliver", "post", post(f"/events/{event_id}/redeliver",
                                                 {"endpoint": we}))
    check("/events/{id}/redeliver", "post", post(f"/events/{event_id}/redeliver",
                                                 {"endpoint": we}))                # pending
    check("/events/{id}/redeliver", "post", post(f"/events/{event_id}/redeliver", {}))
    check("/events/{id}/deliveries", "get", get(f"/events/{event_id}/deliveries"))
    check("/webhook_endpoints/{id}/redeliver_failed", "post",
          post(f"/webhook_endpoints/{we}/redeliver_failed", {"since": "2020-01-01T00:00:00Z"}))
    check("/webhook_endpoints/{id}/redeliver_failed", "post",
          post(f"/webhook_endpoints/{we}/redeliver_failed", {"since": "soon"}))
    check("/webhook_endpoints/{id}", "delete", client.delete(f"/api/v1/webhook_endpoints/{we}",
                                                             headers=auth))
    check("/webhook_endpoints/{id}", "delete", client.delete(f"/api/v1/webhook_endpoints/{we}",
                                                             headers=auth))
    assert {"200", "201", "400", "401", "404", "409"} <= {s for _, _, s in check.checked}
