"""Hosted checkout for African payment methods.

The package itself imports nothing: ``checkout.app.create_app`` builds the app, and a
part such as ``checkout.gateways`` or ``checkout.simulators`` loads without the rest.
"""
