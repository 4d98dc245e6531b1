"""The simulator's fixed RSA key pair, as the Vodacom portal would hold it (providers.md
5.2): the private key is the simulator's alone; the public key is what a merchant copies
from the portal (one line of base64 DER SubjectPublicKeyInfo, ``GET _sim/public_key``).

A test key, published on purpose: it protects nothing. The product's adapter carries the
same public key as a constant of its own (no code shared with this package)."""
from __future__ import annotations

import base64
import binascii
import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PRIVATE_KEY_PEM = b"""\
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCz44xscwbb7Cj6
PCkXbb0MGkVEOTePgFQJxTC5keBdRwjC+2Pla+REDfOzFy3zWklX1AmNfqWAXSrQ
Jhw6pBW3/XGmFJ/wjGBBeE7CI5phYLoaNlVl2lSrT3Itf6A1eSNwIXTn+wiMNZKq
kihz4alRX2tXs5d25NLWQ81tWq7WM1BTppk281ZPua0r78HpPC4z/lGJta1fUiU7
mSJeAIbq9LLxy6RAtwRK+DkftOA7nLGc92/JZlr1+ZWN1v6BkH9iyYFcY34REAuH
PEJmNv4YjT2CxgltIAcvE8JG4KiILIEPADbozck11FtkXPY+f4lp1oGi+qifoHLj
H/yyQh2HAgMBAAECggEAK0sFxinuyinteL/W0d0mxM1jwzYUAZTMZOeQwPBzM2+/
k5GF6raLIrfK4VygQfOGOD1/KQ8ETL7faWXqoFBSK8wyuFo5Xd6i4c7PAZko8+ug
DmPqLI+dlfcSTxHqoEPtu/RJWvVHCttv115CnxT9t2hEAMDnoIUUmt2JiJps/n7G
inm0CqWGAXK0UdwygDv8qmEF2AWaw/ZNeRcc35iq7OwOFnSdkzWB+X9bSNtXqDsd
jMksJb+NqvtrJpN3jYJ6mQ69PBpu48VlCFkLfAkvHk1Yv5Hcd7vx3Ef5pIW0lm23
7aIOVmBdQcWcLCJqOaYtujlSYXePoaRk7tUs+sAvEQKBgQDjqEtSgBJYe4crwa0t
Tx569nFFrFv+CR6B1jHGNGzp/Cu5zJTTsEkUpjg2jC7Lhk4EO61Ai33+CF329263
a8t8fx3Zy/1ejHh2GCEmQYFEiLtcl3vXHadI7eED3r3IRDTu2EG0b/Xiaun+qPS/
wZGCMEhBGutRtlhc69Oma90LsQKBgQDKSNDFRKlsR6KjwBBXIQjadMgARFwdZ5mZ
4OTuFwhDZv2TuBM2ROPZiYJo4BtMYO1cbj0Dq+y9EhO5oMsKNj0eCOPuFuBXTMDt
PRTU0vPi4KIq2gbQVwMkOqCeiaWrhXpHqxQcfK29awzvSK++gk/WQAGxGn62qVT2
tb+YR1VitwKBgQCMFNQ0MYYYV/o2nHf490QkGVxdqM76I5ZYAfqioUObPoWRUCcL
kt+FCzpvphZtOXjr9eSHYM3n8DIRcvL3fia5tmYhy/ldokXFNNfA+HGYQCI5uSSE
m0SCBY19miNhBUck6ICVjIbaCTtubXwcOflVCGyNUwkVQIRiuOGE974OIQKBgFzf
K4K2cHa3OPOndZkbIJ5zqXN97zDM5NeiSlkJmBCiE2AjziZHYLj6ijYuVjot8ixS
rI6n+4we5ZF/QlkQ5+SHPmaMeDl8ksMZHRxNMg4DBlFYQnKa0GVsyVugZMCoCqkm
4ZfmojnqEUk2/QEhgRgj0OMIAA9LFSgj77AxaAFnAoGAOSq/Aw+IHa3QyEu0tFZu
cjT/GViFxg6zCmd2lryjewfKrfrGszsw0yXhcP6w0GN9FtW6tFrUSfSeTGtvTLzz
aoHoNvFIG2YjDehfwCjIPBMvXNuuGnVFS0WKlsH3JptdKpqTmsOdbtySnA51CKGw
MmRtapt0CiNk9sX0ZEZw8ek=
-----END PRIVATE KEY-----
"""


@functools.cache
def private_key() -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(PRIVATE_KEY_PEM, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


@functools.cache
def public_key_line() -> str:
    """The public key as the portal shows it: one line of base64 DER."""
    der = private_key().public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def decrypt_token(token: str) -> str | None:
    """The API key inside a Bearer token (base64 of RSA PKCS#1 v1.5), or None when the
    token is not one made with our public key."""
    try:
        blob = base64.b64decode(token.strip(), validate=True)
        if len(blob) != private_key().key_size // 8:
            return None
        return private_key().decrypt(blob, padding.PKCS1v15()).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
