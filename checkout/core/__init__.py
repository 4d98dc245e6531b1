"""Building blocks with no knowledge of the product: money, phone numbers, ids, time,
secrets at rest."""
