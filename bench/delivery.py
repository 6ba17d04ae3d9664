"""Delivery fan-out: one post to 10,000 followers on 2,000 servers.

The real path end to end: `queue_activity` commits one Create and a Delivery
row per distinct inbox, the on-commit hook queues runs, and a real `celery
worker` (prefork, one process per core) claims, signs and POSTs them. The
2,000 "remote servers" are loopback ports served by a few sink processes
that verify every signature (their own RSA check of the draft-cavage
signing string, Digest and Date) before answering 202. A quarter of the
servers offer no shared inbox, so their followers get a POST each.

Figures, all from this run:
- floor: RSA signing plus one keep-alive POST to the same sink from a plain
  `requests` loop, one process per core: what the machine allows.
- zero latency: inboxes delivered per second, from the commit to the last
  row recorded delivered. Goal: >= 50 % of the floor, and exactly one HTTP
  request per distinct inbox.
- 200 ms: the sinks answer after 200 ms, as far-away servers do; then the
  same with 1 % of the inboxes on servers that never accept a connection.
  Goals: >= 50 % of the zero-latency rate, and the dead 1 % costing at most
  10 % of the 200 ms rate.

The worker is restarted before each run, so no run inherits warm
connections from the one before.

Database: SQLite and the embedded broker by default (no servers needed);
PostgreSQL and Redis with BENCH_DATABASE_URL (a database whose name contains
"bench": it is dropped and created again) and BENCH_REDIS_URL (that Redis
database is flushed).

Run: .venv/bin/python bench/delivery.py [--quick]
(--quick is a smoke run: with 400 inboxes, start-up dominates its rate.)
"""

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR_GOAL = 0.5
LATENCY_GOAL = 0.5
DEAD_COST_GOAL = 0.10
LATENCY = 0.2
SINK_PROCESSES = 3
CORES = os.cpu_count() or 1
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKER_PROCESSES", CORES))


# Sinks: remote servers that verify what they get ------------------------------


class _SinkState:
    def __init__(self):
        self.keys = {}
        self.latency = 0.0
        self.counts = Counter()  # (port, path) -> requests
        self.activity_ids = Counter()
        self.invalid = Counter()  # reason -> requests
        self.dates = {}


def _verify(state: _SinkState, target: str, headers: dict, body: bytes) -> str:
    """'' if the request is signed correctly, else why not."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    header = headers.get("signature", "")
    params = {}
    for part in header.split('",'):
        name, _, value = part.partition('="')
        params[name.strip()] = value.rstrip('"')
    key = state.keys.get(params.get("keyId"))
    if key is None:
        return "unknown key"
    names = params.get("headers", "").split()
    if not {"(request-target)", "host", "date", "digest"} <= set(names):
        return "signs too little"
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if headers.get("digest") != digest:
        return "digest"
    date = headers.get("date", "")
    signed_at = state.dates.get(date)
    if signed_at is None:
        try:
            signed_at = state.dates[date] = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return "date"
    if abs(time.time() - signed_at) > 3600:
        return "stale date"
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): post {target}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            return f"missing {name}"
    try:
        key.verify(
            base64.b64decode(params.get("signature", "")),
            "\n".join(lines).encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return "bad signature"
    return ""


class _SinkProtocol(asyncio.Protocol):
    ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
    REFUSED = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"

    def __init__(self, state: _SinkState, port: int):
        self.state = state
        self.port = port
        self.buffer = bytearray()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            target = lines[0].split(" ")[1]
            self.answer(target, headers, body)

    def answer(self, target, headers, body):
        state = self.state
        problem = _verify(state, target, headers, body)
        if problem:
            state.invalid[problem] += 1
            reply = self.REFUSED
        else:
            state.counts[(self.port, target)] += 1
            try:
                state.activity_ids[json.loads(body)["id"]] += 1
            except (ValueError, KeyError):
                state.invalid["not an activity"] += 1
            reply = self.ACCEPTED
        if state.latency:
            asyncio.get_running_loop().call_later(state.latency, self.write, reply)
        else:
            self.write(reply)

    def write(self, reply):
        if not self.transport.is_closing():
            self.transport.write(reply)


def _sink_main(conn, ports: int):
    """One sink process: `ports` listening sockets, commands on `conn`."""
    from cryptography.hazmat.primitives import serialization

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sockets = []
    for _ in range(ports):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(512)
        sock.setblocking(False)
        sockets.append(sock)
    conn.send([sock.getsockname()[1] for sock in sockets])
    state = _SinkState()
    loop = asyncio.new_event_loop()
    for sock in sockets:
        port = sock.getsockname()[1]
        loop.run_until_complete(
            loop.create_server(lambda port=port: _SinkProtocol(state, port), sock=sock)
        )

    def command():
        name, *args = conn.recv()
        if name == "key":
            key_id, pem = args
            state.keys[key_id] = serialization.load_pem_public_key(pem.encode())
            conn.send(True)
        elif name == "latency":
            state.latency = args[0]
            conn.send(True)
        elif name == "reset":
            state.counts.clear()
            state.activity_ids.clear()
            state.invalid.clear()
            conn.send(True)
        elif name == "stats":
            conn.send(
                (dict(state.counts), dict(state.activity_ids), dict(state.invalid))
            )
        elif name == "stop":
            loop.stop()

    loop.add_reader(conn.fileno(), command)
    loop.run_forever()


class Sinks:
    """A few processes serving `servers` loopback ports between them."""

    def __init__(self, servers: int, processes: int = SINK_PROCESSES):
        context = multiprocessing.get_context("fork")
        self.pipes, self.processes, self.ports = [], [], []
        self.owner = {}
        share = -(-servers // processes)
        for index in range(processes):
            ours, theirs = context.Pipe()
            count = min(share, servers - index * share)
            process = context.Process(
                target=_sink_main, args=(theirs, count), daemon=True
            )
            process.start()
            ports = ours.recv()
            self.pipes.append(ours)
            self.processes.append(process)
            self.ports.extend(ports)
            self.owner.update(dict.fromkeys(ports, index))

    def tell(self, *message):
        replies = []
        for pipe in self.pipes:
            pipe.send(message)
        for pipe in self.pipes:
            replies.append(pipe.recv())
        return replies

    def stats(self):
        counts, ids, invalid = Counter(), Counter(), Counter()
        for by_inbox, by_id, problems in self.tell("stats"):
            counts.update(by_inbox)
            ids.update(by_id)
            invalid.update(problems)
        return counts, ids, invalid

    def stop(self):
        for pipe in self.pipes:
            pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


# The floor -----------------------------------------------------------------------


def _floor_main(conn, url, key_pem, key_id, body, seconds):
    import requests
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    parts = urlsplit(url)
    session = requests.Session()
    sent = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        date = formatdate(usegmt=True)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        text = (
            f"(request-target): post {parts.path}\nhost: {parts.netloc}\n"
            f"date: {date}\ndigest: {digest}\ncontent-type: application/activity+json"
        )
        signature = base64.b64encode(
            key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        ).decode()
        response = session.post(
            url,
            data=body,
            headers={
                "Host": parts.netloc,
                "Date": date,
                "Digest": digest,
                "Content-Type": "application/activity+json",
                "Signature": (
                    f'keyId="{key_id}",algorithm="rsa-sha256",headers="'
                    f'(request-target) host date digest content-type",'
                    f'signature="{signature}"'
                ),
            },
        )
        if response.status_code != 202:
            conn.send((0, 1.0, f"the sink answered {response.status_code}", 0.0))
            return
        sent += 1
    conn.send((sent, time.perf_counter() - started, "", time.process_time()))


def measure_floor(sinks: Sinks, *, key_pem, key_id, body, seconds):
    """Signed keep-alive POSTs per second, one `requests` loop per core, and
    the CPU seconds each took."""
    context = multiprocessing.get_context("fork")
    runs = []
    for index in range(CORES):
        # Each loop talks to a port of a different sink process, as the
        # deliveries spread over all of them.
        owner = index % len(sinks.pipes)
        port = next(p for p in sinks.ports if sinks.owner[p] == owner)
        url = f"http://127.0.0.1:{port}/floor/inbox"
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_floor_main, args=(theirs, url, key_pem, key_id, body, seconds)
        )
        process.start()
        runs.append((process, ours))
    rate, cpu, total = 0.0, 0.0, 0
    for process, pipe in runs:
        sent, spent, problem, cpu_spent = pipe.recv()
        process.join()
        if problem:
            raise SystemExit(f"floor: {problem}")
        rate += sent / spent
        cpu += cpu_spent
        total += sent
    return rate, cpu / max(total, 1)


# The deployment under test ------------------------------------------------------


def configure_environment(args, var_dir: Path) -> str:
    """Environment for this process and the worker; returns what runs where."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "creatorhub.settings",
            "SECRET_KEY": "bench-delivery-not-secret",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "CREATORHUB_DOMAIN": "hub.bench.example",
            "CREATORHUB_VAR_DIR": str(var_dir),
            "FEDERATION_ALLOW_HTTP": "true",
            "FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
        }
    )
    database = os.environ.get("BENCH_DATABASE_URL", "")
    redis = os.environ.get("BENCH_REDIS_URL", "")
    if database:
        if "bench" not in urlsplit(database).path:
            raise SystemExit(
                "BENCH_DATABASE_URL must name a database with 'bench' in it"
            )
        os.environ["DATABASE_URL"] = database
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    if redis:
        os.environ["REDIS_URL"] = redis
        os.environ["CELERY_BROKER_URL"] = redis
    else:
        os.environ.pop("REDIS_URL", None)
        os.environ.pop("CELERY_BROKER_URL", None)
    where = "PostgreSQL" if database else "SQLite"
    broker = "Redis" if redis else "the embedded file broker"
    return f"{where} and {broker}"


def recreate_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_worker(log_path: Path, label: str):
    from creatorhub.celery import app

    name = f"bench-{label}-{os.getpid()}@{socket.gethostname()}"
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our arguments)
        [
            sys.executable, "-m", "celery", "-A", "creatorhub", "worker",
            "--queues", "deliver", "--pool", "prefork",
            "--concurrency", str(WORKER_PROCESSES), "--hostname", name,
            "--without-mingle", "--without-gossip", "--loglevel", "WARNING",
        ],
        cwd=ROOT,
        stdout=log_path.open("a"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the worker exited:\n" + log_path.read_text()[-3000:])
        if app.control.ping(destination=[name], timeout=0.5):
            return process
    process.kill()
    raise SystemExit("the worker did not start:\n" + log_path.read_text()[-3000:])


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the worker's pool)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def stop_worker(process) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def build_audience(creator, sinks: Sinks, *, servers, followers, dead_servers, dead):
    """Followers spread over the sink ports, a quarter without shared inbox;
    plus followers on servers that never accept a connection."""
    from federation.models import Follow, RemoteActor, RemoteInstance

    hosts = [f"127.0.0.1:{port}" for port in sinks.ports[:servers]]
    dead_hosts = [f"127.0.0.1:{sock.getsockname()[1]}" for sock in dead]
    all_hosts = hosts + dead_hosts
    RemoteInstance.objects.bulk_create(
        [RemoteInstance(domain=host) for host in all_hosts], batch_size=1000
    )
    instances = dict(RemoteInstance.objects.values_list("domain", "pk"))
    actors = []
    for number in range(followers + dead_servers * 5):
        if number < followers:
            index = number % servers
            host, shared = hosts[index], index % 4 != 3
        else:
            host, shared = dead_hosts[(number - followers) % dead_servers], True
        actor = f"http://{host}/users/f{number}"
        actors.append(
            RemoteActor(
                ap_id=actor,
                instance_id=instances[host],
                username=f"f{number}",
                inbox_url=f"{actor}/inbox",
                shared_inbox_url=f"http://{host}/inbox" if shared else "",
                public_key_id=f"{actor}#main-key",
                public_key_pem="-",
            )
        )
    RemoteActor.objects.bulk_create(actors, batch_size=1000)
    Follow.objects.bulk_create(
        [
            Follow(
                creator=creator,
                actor_id=pk,
                follow_activity_id=f"{ap_id}#follow",
                state=Follow.State.ACCEPTED,
            )
            for pk, ap_id in RemoteActor.objects.values_list("pk", "ap_id")
        ],
        batch_size=1000,
    )
    return set(dead_hosts)


def payload_for(creator, number: int) -> dict:
    from federation import ids

    note = f"{ids.actor_id(creator.handle)}/statuses/{number}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity",
        "type": "Create",
        "actor": ids.actor_id(creator.handle),
        "published": "2030-01-01T12:00:00Z",
        "to": [ids.PUBLIC],
        "cc": [f"{ids.actor_id(creator.handle)}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "attributedTo": ids.actor_id(creator.handle),
            "content": "<p>" + "A post to every follower. " * 40 + "</p>",
            "to": [ids.PUBLIC],
        },
    }


def run_fanout(creator, inboxes, *, number, live, log_path, label, timeout):
    """Queue one activity to `inboxes`; time until every live one is done."""
    from django.db import connections, transaction
    from django.db.models import Max, Sum
    from django.utils import timezone

    from federation import services
    from federation.models import Delivery

    worker = start_worker(log_path, label)
    time.sleep(1)  # let the pool processes finish starting
    cpu_before = cpu_seconds(worker.pid)
    try:
        started = timezone.now()
        with transaction.atomic():
            activity = services.queue_activity(
                creator=creator, payload=payload_for(creator, number), inboxes=inboxes
            )
        rows = Delivery.objects.filter(activity=activity)
        deadline = time.monotonic() + timeout
        while rows.filter(inbox_url__in=live).exclude(state="delivered").exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"{label}: not all delivered after {timeout} s")
            time.sleep(0.25)
        finished = rows.aggregate(last=Max("delivered_at"))["last"]
        cpu = cpu_seconds(worker.pid) - cpu_before
    finally:
        stop_worker(worker)  # waits for requests still out to dead servers
    dead_rows = rows.exclude(inbox_url__in=live)
    dead_attempts = dead_rows.aggregate(n=Sum("attempts"))["n"] or 0
    dead_count = dead_rows.count()
    connections.close_all()
    spent = (finished - started).total_seconds()
    return {
        "activity": activity,
        "seconds": spent,
        "rate": len(live) / spent,
        "dead_attempts": dead_attempts,
        "dead_rows": dead_count,
        "cpu_per_delivery": cpu / len(live),
    }


def check_requests(sinks: Sinks, activity, expected: set[str]) -> str:
    counts, ids, invalid = sinks.stats()
    if invalid:
        raise SystemExit(f"sinks refused requests: {dict(invalid)}")
    got = {f"http://127.0.0.1:{port}{path}": n for (port, path), n in counts.items()}
    requests = sum(got.values())
    if set(got) != expected or any(n != 1 for n in got.values()):
        twice = sum(1 for n in got.values() if n > 1)
        missing = len(expected - set(got))
        raise SystemExit(
            f"requests {requests} for {len(expected)} inboxes: "
            f"{twice} twice, {missing} missing"
        )
    if set(ids) != {activity.ap_id}:
        raise SystemExit(f"unexpected activity ids at the sinks: {set(ids)}")
    return (
        f"HTTP requests {requests} == distinct inboxes {len(expected)}, "
        "every signature verified"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 followers on 200 servers: a smoke run, start-up dominates",
    )
    args = parser.parse_args()
    servers, followers = (200, 1000) if args.quick else (2000, 10_000)
    floor_seconds = 2 if args.quick else 4

    var_dir = Path(tempfile.mkdtemp(prefix="bench-delivery-"))
    log_path = var_dir / "worker.log"
    setup = configure_environment(args, var_dir)
    if os.environ.get("BENCH_DATABASE_URL"):
        recreate_postgres_database(os.environ["BENCH_DATABASE_URL"])
    if os.environ.get("BENCH_REDIS_URL"):
        import redis

        redis.Redis.from_url(os.environ["BENCH_REDIS_URL"]).flushdb()

    # Sinks fork before Django is set up: nothing of ours runs in them.
    sinks = Sinks(servers)
    dead_sockets = []
    try:
        import django

        django.setup()
        # The control pings of the embedded broker complain about no host.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        from django.core.management import call_command
        from django.db import connections

        from accounts.models import CreatorProfile, User
        from federation import ids, keys, services

        call_command("migrate", verbosity=0)
        user = User.objects.create(username="bench")
        creator = CreatorProfile.objects.create(
            user=user, handle="bench", share_to_fediverse=True
        )
        key = keys.key_for_creator(creator)
        private_pem = keys.decrypt_private_key(key.private_key_encrypted)
        sinks.tell("key", ids.key_id(creator.handle), key.public_key_pem)

        live_inbox_count = servers * 3 // 4 + followers // 4
        dead_servers = max(round(0.01 * live_inbox_count), 1)
        for _ in range(dead_servers):  # listening, never accepting
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(0)
            dead_sockets.append(sock)
        dead_hosts = build_audience(
            creator,
            sinks,
            servers=servers,
            followers=followers,
            dead_servers=dead_servers,
            dead=dead_sockets,
        )
        everyone = services.follower_inboxes(creator)
        live = {url for url in everyone if urlsplit(url).netloc not in dead_hosts}
        connections.close_all()

        print(
            f"delivery bench: {setup}, {CORES} cores, "
            f"worker --concurrency {WORKER_PROCESSES}"
        )
        print(
            f"audience: {followers} followers on {servers} servers "
            f"({servers // 4} without a shared inbox) = {len(live)} distinct inboxes"
        )

        def floor_now():
            rate, cpu = measure_floor(
                sinks,
                key_pem=private_pem,
                key_id=ids.key_id(creator.handle),
                body=json.dumps(payload_for(creator, 0)).encode(),
                seconds=floor_seconds,
            )
            sinks.tell("reset")
            return rate, cpu

        # The floor is measured before and after the zero-latency run and
        # the higher figure kept: the ratio errs on the side of modesty when
        # other work on the machine comes and goes.
        floor_before, floor_cpu = floor_now()
        zero = run_fanout(
            creator, live, number=1, live=live, log_path=log_path, label="zero",
            timeout=600,
        )  # fmt: skip
        checked = check_requests(sinks, zero["activity"], live)
        floor_after, _ = floor_now()
        floor = max(floor_before, floor_after)
        ratio = zero["rate"] / floor
        print(
            f"floor: {floor:.0f} deliveries/s (sign + keep-alive POST, {CORES} "
            f"requests loops; {floor_before:.0f} before, {floor_after:.0f} after)"
        )
        print(
            f"zero latency: {zero['rate']:.0f} deliveries/s ({len(live)} in "
            f"{zero['seconds']:.1f} s); {checked}"
        )
        print(
            f"  vs floor: {ratio:.2f} (goal >= {FLOOR_GOAL}) "
            f"{'PASS' if ratio >= FLOOR_GOAL else 'FAIL'}; CPU per delivery: worker "
            f"{zero['cpu_per_delivery'] * 1000:.2f} ms, floor loop "
            f"{floor_cpu * 1000:.2f} ms (sinks, database and broker not counted)"
        )

        sinks.tell("reset")
        sinks.tell("latency", LATENCY)
        slow = run_fanout(
            creator, live, number=2, live=live, log_path=log_path, label="slow",
            timeout=900,
        )  # fmt: skip
        check_requests(sinks, slow["activity"], live)
        slow_ratio = slow["rate"] / zero["rate"]
        verdict = "PASS" if slow_ratio >= LATENCY_GOAL else "FAIL"
        print(
            f"{LATENCY * 1000:.0f} ms answers: {slow['rate']:.0f} deliveries/s "
            f"({slow['seconds']:.1f} s); vs zero latency {slow_ratio:.2f} "
            f"(goal >= {LATENCY_GOAL}) {verdict}"
        )

        sinks.tell("reset")
        dead = run_fanout(
            creator, everyone, number=3, live=live, log_path=log_path, label="dead",
            timeout=900,
        )  # fmt: skip
        check_requests(sinks, dead["activity"], live)
        cost = 1 - dead["rate"] / slow["rate"]
        dead_ratio = dead["rate"] / zero["rate"]
        print(
            f"{LATENCY * 1000:.0f} ms answers, {dead['dead_rows']} of "
            f"{len(everyone)} inboxes ({dead['dead_rows'] / len(everyone):.1%}) on "
            f"servers that never accept a connection: {dead['rate']:.0f} "
            f"deliveries/s to the live ones ({dead['seconds']:.1f} s); vs zero "
            f"latency {dead_ratio:.2f} (goal >= {LATENCY_GOAL}) "
            f"{'PASS' if dead_ratio >= LATENCY_GOAL else 'FAIL'}"
        )
        print(
            f"  the dead servers cost {max(cost, 0):.1%} of the 200 ms rate "
            f"(goal <= {DEAD_COST_GOAL:.0%}) "
            f"{'PASS' if cost <= DEAD_COST_GOAL else 'FAIL'}; "
            f"{dead['dead_attempts']} attempts on their {dead['dead_rows']} inboxes, "
            "each holding one thread until it timed out"
        )
        print(
            f"delivery: {zero['rate']:.0f} deliveries/s, floor {floor:.0f} "
            f"deliveries/s, ratio {ratio:.2f}"
        )
    except BaseException:
        print(f"worker log kept: {log_path}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(var_dir, ignore_errors=True)
    finally:
        sinks.stop()
        for sock in dead_sockets:
            sock.close()


if __name__ == "__main__":
    main()
