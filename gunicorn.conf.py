"""gunicorn's configuration, read from the environment (README "Deploying").

gunicorn loads ./gunicorn.conf.py by itself: `gunicorn casualties.wsgi` from the repository root.
"""

import gc
import os

# Loopback by default: a reverse proxy terminates TLS in front of it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Threads let a worker keep idle keep-alive connections without blocking; pages are database-
# and CPU-bound, so processes (one or two per core) do the work.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# A request that takes longer than this is stuck; the worker is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Each worker is replaced after this many requests (plus up to a tenth more, so they are not all
# replaced at once), releasing whatever memory it grew. Nothing is lost: pages read the stored
# figures, so a new worker has no cold cache to fill (bench/README.md "Stored figures").
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = max_requests // 10

# Import Django once in the master; workers fork from it (faster start, shared memory).
# Database connections are opened lazily, per worker, so none is shared across the fork.
preload_app = True

# gunicorn 27's control socket is a thread in the master that is stopped before every fork and
# restarted after it (joined for up to 2 s): each recycled worker was replaced 1-3 s late, and
# its connections queued on the others (bench/README.md "load.py"). Nothing here uses it.
control_socket_disable = True

# Access log to stdout with the request time in milliseconds (%(M)s) and microseconds (%(D)s).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(p)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms %(D)sus "%(f)s" "%(a)s"'

# gunicorn itself trusts X-Forwarded-* only from these addresses (the proxy on the same host).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def when_ready(server):
    """In the master, once the app is loaded (preload_app): compile the public templates and
    build the URL resolver, so every worker forked from it, and every worker that replaces a
    recycled one, starts with them instead of paying for them on its first requests. No
    database connection is opened here (none may be shared across the fork)."""
    from django.template.loader import get_template
    from django.urls import reverse

    for name in PRIMED_TEMPLATES:
        get_template(name)
    reverse("casualties:home")
    # What the master holds now (Django, the app, the templates) lives as long as the workers:
    # out of the garbage collector's sight, it is not walked at every full collection in every
    # worker, and its pages stay shared after the fork.
    gc.freeze()


PRIMED_TEMPLATES = [
    "casualties/overview.html", "casualties/figure.html", "casualties/party.html",
    "casualties/category.html", "casualties/event.html", "casualties/claimant.html",
    "casualties/claim.html", "casualties/place.html", "casualties/browse.html",
    "casualties/people.html", "casualties/person.html",
]  # fmt: skip
