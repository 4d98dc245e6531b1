"""Background jobs (RQ). Module-level functions taking ids; safe to run twice."""


def poll_payment(payment_id):
    raise NotImplementedError


def initiate_payment(payment_id):
    raise NotImplementedError
