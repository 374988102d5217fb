"""HTTP throughput of the inbox against the bare view under gunicorn (issue 13): 2 sync workers on this machine,
a bounded thread client on 127.0.0.1 only, a fixed time per page.

    .venv/bin/python bench/http_throughput.py --db postgres://postgres@127.0.0.1:5432/tuanji_scale_m --seconds 30

Signs the branch admin with the busiest inbox in the way bench/pages.py does (session in the database, second
factor marked), starts gunicorn with the local settings on that database, then sends GETs from --threads
threads for --seconds to each page in turn and prints requests per second and the share that answered 200."""
import argparse
import http.client
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = 8765
PAGES = [("bare view (home)", "/"), ("branch admin's inbox", "/transfers/inbox/")]


def _session_cookie(db: str) -> str:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    sys.path.insert(0, ROOT)
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import django

    django.setup()
    import pages
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    client = pages._client(Client, "branch")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _hammer(path: str, cookie: str, seconds: float, threads: int) -> tuple[int, int]:
    ok, total, lock = [0], [0], threading.Lock()
    stop = time.perf_counter() + seconds

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            with lock:
                total[0] += 1
                ok[0] += response.status == 200
        conn.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return ok[0], total[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/tuanji_scale_m")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    cookie = _session_cookie(args.db)
    env = dict(os.environ, DATABASE_URL=args.db, DJANGO_SETTINGS_MODULE="config.settings.local")
    server = subprocess.Popen([os.path.join(ROOT, ".venv", "bin", "gunicorn"), "config.wsgi:application", "--workers", "2",
                               "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/login/")
                break
            except OSError:
                time.sleep(0.2)
        for name, path in PAGES:
            _hammer(path, cookie, 3, args.threads)  # warm both workers
            ok, total = _hammer(path, cookie, args.seconds, args.threads)
            print(f"{name:<24} {total / args.seconds:7.1f} requests/s   {ok}/{total} answered 200")
        print(f"(gunicorn 2 sync workers, {args.threads} client threads, {args.seconds:.0f} s a page; "
              f"load average {os.getloadavg()[0]:.2f})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
