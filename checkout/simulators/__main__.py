"""``python -m checkout.simulators [--host H] [--port P]``: serve every provider simulator."""
import argparse
import logging

from . import run_simulators

parser = argparse.ArgumentParser(description="Serve the payment provider simulators.")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=5001)
args = parser.parse_args()
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
run_simulators(args.host, args.port)
