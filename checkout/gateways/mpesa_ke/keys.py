"""Test-mode data of the M-Pesa Kenya adapter.

``TEST_CERTIFICATE`` is the public certificate of the Daraja simulator's fixed test key
pair (the simulator keeps the private key): what a new test-mode account gets as its
``certificate`` credential, so that reversals' ``SecurityCredential`` is encrypted exactly
as for Safaricom's own certificate and the simulator can decrypt it. Data duplicated on
purpose from checkout/simulators/mpesa_ke/keys.py (the two share no code). Live accounts
hold Safaricom's production certificate in their credentials instead.

``SANDBOX_PASSKEY`` is Safaricom's published Lipa Na M-Pesa Online passkey of the public
sandbox shortcode 174379 (providers.md 4.1).
"""

SANDBOX_SHORTCODE = "174379"
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"

TEST_CERTIFICATE = """\
-----BEGIN CERTIFICATE-----
MIIDIDCCAgigAwIBAgIEATUlBTANBgkqhkiG9w0BAQsFADBRMQswCQYDVQQGEwJL
RTEbMBkGA1UECgwSQ2hlY2tvdXQgdGVzdCBtb2RlMSUwIwYDVQQDDBxEYXJhamEg
c2ltdWxhdG9yICh0ZXN0IG9ubHkpMCAXDTI1MDEwMTAwMDAwMFoYDzIxMjUwMTAx
MDAwMDAwWjBRMQswCQYDVQQGEwJLRTEbMBkGA1UECgwSQ2hlY2tvdXQgdGVzdCBt
b2RlMSUwIwYDVQQDDBxEYXJhamEgc2ltdWxhdG9yICh0ZXN0IG9ubHkpMIIBIjAN
BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArnEL7u19bC0KtayqRkeLMaAOVXsK
yrxhYzPDylCG4ZCF6kHqL3jfnrU4GB4GbBjJjBb7v/6FBUyN5WAIdAUcoRcdEVS9
sFNQE8tJa/Ri0609AUuh+dXWIJysFO20ukjmEBPND/hQzPmqEiM3vbJHpr2+wGU4
ajwL6/Uy6V1Z3JQkQtM4zqA8hhalbc2Wlr28yuoWV+JlSQEP8UMXlJnGUElu5KA6
MrrqYCwiosncvi5Gu3CWF3/C1T4RDUSyuHtG0uTEyNay2PBOC2met+xzU/Uu4LYL
6YgRxvFGvhMH0HkeXYdr6FoADEweh/xBBLUTB9m6s2sqcRFA7idICSEbnwIDAQAB
MA0GCSqGSIb3DQEBCwUAA4IBAQBHlYk5nSagKqUeKBL3AFyN19ocFLgWC9h88n6c
m3ixuG0BuIEgw2SKwSXfx3fWTRiMN+XFa3/ttVWh0TZDUViYhENyTF/uZtQUodaQ
BK4JqOu5s0ffsG96df1+Mfm9MqMt69gVyEqXL4GbhHqG9tNCWbnvBBkV1FHhdfvP
SzsDUR68DNeEzJ9hMWAZ6dhBj8naaKbBOWlW9/Mt9w/MhyMQCpBzG5twRPRya2OF
otDEEEgXvvqDGTlwH/Y46Gb8OPBpQV0LN1fMCaFUkukIqVm0G81PpytaSaHDewZ+
OemOObr1aalzJsYTCZeB8YaO85DmcmAnmvo2pUZ3HCVDCkEn
-----END CERTIFICATE-----
"""
