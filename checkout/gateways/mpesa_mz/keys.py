"""The public key of the M-Pesa Mozambique simulator, as its portal page shows it (one
line of base64 DER SubjectPublicKeyInfo): what every test-mode account gets. Kept here as
data on purpose: the simulator holds the private half and shares no code with us."""

SIMULATOR_PUBLIC_KEY = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAs+OMbHMG2+wo+jwpF229DBpFRDk3j4BUCcUwuZHg"
    "XUcIwvtj5WvkRA3zsxct81pJV9QJjX6lgF0q0CYcOqQVt/1xphSf8IxgQXhOwiOaYWC6GjZVZdpUq09yLX+g"
    "NXkjcCF05/sIjDWSqpIoc+GpUV9rV7OXduTS1kPNbVqu1jNQU6aZNvNWT7mtK+/B6TwuM/5RibWtX1IlO5ki"
    "XgCG6vSy8cukQLcESvg5H7TgO5yxnPdvyWZa9fmVjdb+gZB/YsmBXGN+ERALhzxCZjb+GI09gsYJbSAHLxPC"
    "RuCoiCyBDwA26M3JNdRbZFz2Pn+JadaBovqon6By4x/8skIdhwIDAQAB"
)
