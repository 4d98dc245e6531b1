"""``python -m checkout.worker``: one worker process (what the supervisor starts). It
builds the base app only (``factory``): no blueprints, no API, no hosted pages."""
import argparse

from checkout.factory import create_base_app

from .process import run_worker


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run one checkout RQ worker process.")
    parser.add_argument("--queues", default=None, help="comma-separated queue names")
    parser.add_argument("--parent-pid", type=int, default=None)
    parser.add_argument("--burst", action="store_true")
    args = parser.parse_args(argv)
    app = create_base_app()
    queues = args.queues.split(",") if args.queues else None
    run_worker(app, queues, parent_pid=args.parent_pid, burst=args.burst)


if __name__ == "__main__":
    main()
