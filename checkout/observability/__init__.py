"""What the people who run the product watch: Prometheus metrics (``metrics``), the
rolling health of each mobile-money operator (``health``), and the ``/metrics`` page
(``endpoint``). Payments and provider calls report here; nothing here changes them."""
