#!/usr/bin/python3
"""End-to-end benchmark driver: the real aws-auth-refresher binary against fake-aws and fake-kube-apiserver.

Started by bench/e2e/run.sh (which builds what it needs). Standard library only. Every server binds
127.0.0.1; every process started here is ended here, by pid.

Cases, for each USERS x RULES:
  first   `run --once` against an aws-auth holding only the node role: every managed entry is written.
  steady  `run --once` against an aws-auth already in step: read, list, reconcile, no write.
  floor   bench/iam-floor: the same IAM listing through the same client code, nothing else.
Each is run REPS times; the table shows medians. Per run (bench/measure, a small launcher, so that the peak
RSS is the process's own and not the Python driver's inherited before exec): wall time, CPU (user + sys),
peak RSS, bytes over loopback (requests and responses, both ways), IAM requests (the fake's log),
Kubernetes requests (the fake's log).

Users: every IAM user matches exactly one rule, up to 10,000 (the most that fit in aws-auth's 1 MiB with
these names); users beyond that are service users no rule matches (so 20k users = 10k managed + 10k not).

Access entries (issue #13; --access-entries-case N[,N...], default 1000,3000, '' skips it): N IAM users under
10 mapUsers rules written as EKS access entries (--backend access-entries) into fake-aws's fake EKS, cluster in
API_AND_CONFIG_MAP mode: first (none there), restart (`--once`, all there: every entry's tags read once) and
steady (the daemon after its first cycle), with EKS calls by operation from /admin/eks/log; restart and steady
must make no mutating EKS call.

Idle: the daemon with --refresh-interval 1s, everything in step, for IDLE_CYCLES cycles after 5 warm-up
cycles: CPU seconds, RSS after the warm-up and at the end, writes, Kubernetes GETs, requests per cycle.

Roles (rules v2, issue #12; --roles-case USERS,ROLES,RULES, default 10000,2000,200): IAM users as above under
RULES mapUsers rules, plus ROLES IAM Identity Center (SSO) roles,
/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_Set<k>_<16 hex>, under RULES mapRoles rules (one per
permission set, matched on the path, written without it). aws-auth must hold every role entry, so users are
managed only as far as they fit beside the roles in 1 MiB (the rest are service users no rule matches). first
and steady as above; no floor (bench/iam-floor lists users only). The case first checks, with one role and one
rule, that the binary and fake-aws support role rules (mapRoles rules, ListRoles with paths, the role entry
written without its path); until rules v2 is wired it is skipped with the reason, in the output and in
results.json ("roles_case": {"skipped": "..."}).
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ACCOUNT = "123456789012"
ACCESS_KEY = "AKIAE2EBENCH00000001"
SECRET_KEY = "e2eBenchSecretKey000000000000000000000001"
MAX_MANAGED = 10000
NODE_ROLES = (
    "- rolearn: arn:aws:iam::%s:role/eks-node\n"
    "  username: system:node:{{EC2PrivateDNSName}}\n"
    "  groups:\n  - system:bootstrappers\n  - system:nodes\n" % ACCOUNT
)


def http(method, url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def wait_json_line(proc, what, limit=20.0):
    """Reads the first stdout line of a fake (its JSON 'ready' line), bounded."""
    deadline = time.monotonic() + limit
    line = b""
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline:
        chunk = proc.stdout.read()
        if chunk:
            line += chunk
            if b"\n" in line:
                return json.loads(line.split(b"\n", 1)[0])
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    raise RuntimeError("%s did not report ready" % what)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Fakes:
    def __init__(self, build, workdir):
        self.kube = subprocess.Popen(
            [os.path.join(build, "fake-kube-apiserver"), "--state-dir", workdir, "--admin-port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.aws = subprocess.Popen(
            [os.path.join(build, "tests/fakes/aws/fake-aws"), "--access-key-id", ACCESS_KEY,
             "--secret-access-key", SECRET_KEY, "--account-id", ACCOUNT],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            self.kube_info = wait_json_line(self.kube, "fake-kube-apiserver")
            self.aws_info = wait_json_line(self.aws, "fake-aws")
        except Exception:
            self.close()
            raise
        self.kubeconfig = self.kube_info["kubeconfig"]
        self.kube_admin = self.kube_info["adminUrl"]
        self.aws_admin = self.aws_info["admin_url"]

    def close(self):
        stop(self.kube)
        stop(self.aws)

    def add_users(self, prefix, count):
        if count > 0:
            http("POST", self.aws_admin + "/admin/users", {"prefix": prefix, "count": count, "path": "/"})

    def add_role(self, name, path):
        http("POST", self.aws_admin + "/admin/roles", {"name": name, "path": path})

    def iam_actions(self):
        """IAM requests by action, from the fake's log."""
        out = {}
        for r in http("GET", self.aws_admin + "/admin/log")["iam"]:
            out[r.get("action", "?")] = out.get(r.get("action", "?"), 0) + 1
        return out

    def put_config_map(self, name, data):
        http("PUT", self.kube_admin + "/admin/objects", {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "kube-system"}, "data": data})

    def get_config_map(self, name):
        return http("GET", self.kube_admin +
                    "/admin/objects?apiVersion=v1&kind=ConfigMap&namespace=kube-system&name=" + name)

    def clear_logs(self):
        http("DELETE", self.aws_admin + "/admin/log")
        http("DELETE", self.kube_admin + "/admin/requests")

    def iam_requests(self):
        return len(http("GET", self.aws_admin + "/admin/log")["iam"])

    def kube_requests(self):
        return http("GET", self.kube_admin + "/admin/requests")


def kube_summary(requests):
    """Counts of the Kubernetes requests by verb, and the ConfigMap writes and GETs among them."""
    by_verb = {}
    for r in requests:
        by_verb[r.get("verb", "?")] = by_verb.get(r.get("verb", "?"), 0) + 1
    writes = sum(1 for r in requests if r.get("resource") == "configmaps" and
                 r.get("verb") in ("create", "update", "patch", "delete"))
    gets = sum(1 for r in requests if r.get("resource") == "configmaps" and r.get("verb") in ("get", "list"))
    return {"total": len(requests), "by_verb": by_verb, "configmap_writes": writes, "configmap_gets": gets}


def env_for(fakes, workdir):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": workdir,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_IAM": fakes.aws_info["iam_url"],
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return env


MEASURE = None  # path of bench/measure, set in main()


def loopback_bytes():
    """Bytes received on the loopback interface so far (every byte sent over 127.0.0.1, headers included)."""
    with open("/proc/net/dev") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name.strip() == "lo":
                return int(rest.split()[0])
    return 0


def measure(argv, env, workdir, limit=120.0):
    """Runs argv to completion through bench/measure: wall, CPU, peak RSS (KiB), exit code, and the bytes that
    crossed loopback meanwhile (requests and responses, TCP/IP headers included; nothing else talks then)."""
    err_path = os.path.join(workdir, "stderr.log")
    before = loopback_bytes()
    out = subprocess.run([MEASURE, "--stderr", err_path, "--"] + argv, env=env, cwd=workdir,
                         capture_output=True, timeout=limit, check=True)
    m = json.loads(out.stdout)
    m["loopback_bytes"] = loopback_bytes() - before
    with open(err_path, "rb") as f:
        m["stderr"] = f.read().decode(errors="replace")
    return m


def rules_yaml(rules):
    out = []
    for k in range(rules):
        out.append("- arnRegex: ^arn:aws:iam::%s:user/vault-r%03d-.*$\n  username: t%03d\n  groups:\n  - t%03d\n"
                   % (ACCOUNT, k, k, k))
    return "".join(out)


def seed(fakes, users, rules):
    managed = min(users, MAX_MANAGED)
    per_rule, extra = divmod(managed, rules)
    for k in range(rules):
        fakes.add_users("vault-r%03d-" % k, per_rule + (1 if k < extra else 0))
    fakes.add_users("svc-", users - managed)
    fakes.put_config_map("aws-auth-refresher", {"mapUsers": rules_yaml(rules)})
    fakes.put_config_map("aws-auth", {"mapRoles": NODE_ROLES})
    return managed


def binary_args(build, fakes, extra):
    return [os.path.join(build, "aws-auth-refresher"), "run", "--kubeconfig", fakes.kubeconfig,
            "--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--log-level", "warn"] + extra


def run_case(build, users, rules, reps, workdir):
    fakes = Fakes(build, workdir)
    try:
        managed = seed(fakes, users, rules)
        env = env_for(fakes, workdir)
        out = {"users": users, "rules": rules, "managed": managed, "first": [], "steady": [], "floor": []}
        for _ in range(reps):
            fakes.put_config_map("aws-auth", {"mapRoles": NODE_ROLES})  # back to no managed entries
            fakes.clear_logs()
            m = measure(binary_args(build, fakes, ["--once"]), env, workdir)
            if m["exit_code"] != 0:
                raise RuntimeError("--once (first) failed at %d x %d: %s" % (users, rules, m["stderr"][-2000:]))
            m["iam_requests"] = fakes.iam_requests()
            m["kube"] = kube_summary(fakes.kube_requests())
            del m["stderr"]
            out["first"].append(m)
        cm = fakes.get_config_map("aws-auth")
        out["aws_auth_bytes"] = sum(len(v) for v in cm.get("data", {}).values())
        for _ in range(reps):
            fakes.clear_logs()
            m = measure(binary_args(build, fakes, ["--once"]), env, workdir)
            if m["exit_code"] != 0:
                raise RuntimeError("--once (steady) failed: " + m["stderr"][-2000:])
            m["iam_requests"] = fakes.iam_requests()
            m["kube"] = kube_summary(fakes.kube_requests())
            if m["kube"]["configmap_writes"] != 0:
                raise RuntimeError("steady --once wrote aws-auth")
            del m["stderr"]
            out["steady"].append(m)
        for _ in range(reps):
            fakes.clear_logs()
            m = measure([os.path.join(build, "bench/iam-floor")], env, workdir)
            if m["exit_code"] != 0:
                raise RuntimeError("iam-floor failed: " + m["stderr"][-2000:])
            m["iam_requests"] = fakes.iam_requests()
            del m["stderr"]
            out["floor"].append(m)
        return out
    finally:
        fakes.close()


SSO_REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2", "sa-east-1")
CONFIG_MAP_DATA_LIMIT = 1024 * 1024  # data + binaryData of a ConfigMap
SIZE_MARGIN = 16 * 1024  # what the estimate below may be off by, and room for hand-written entries


def sso_path(i):
    return "/aws-reserved/sso.amazonaws.com/%s/" % SSO_REGIONS[i % len(SSO_REGIONS)]


def sso_role_name(k, i):
    # <16 hex>: IAM Identity Center's random suffix; here deterministic and unique (set k, role i).
    return "AWSReservedSSO_Set%03d_%08x%08x" % (k, k, i)


def role_rules_yaml(rules):
    out = []
    for k in range(rules):
        out.append("- arnRegex: ^arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/[a-z0-9-]+/"
                   "AWSReservedSSO_Set%03d_[0-9a-f]{16}$\n  username: sso-s%03d:{{SessionName}}\n"
                   "  groups:\n  - s%03d\n" % (ACCOUNT, k, k, k))
    return "".join(out)


def entry_bytes(arn, username, groups):
    """Bytes of one block-style aws-auth entry as the binary writes it (docs/core.md, "Size")."""
    return 25 + len(arn) + len(username) + (10 + sum(len(g) + 5 for g in groups) if groups else 0)


def roles_layout(roles, rules):
    """[(rule k, role name, path)] for ROLES roles spread over RULES permission sets, and their entries' bytes."""
    layout, size = [], 0
    for i in range(roles):
        k = i % rules
        name = sso_role_name(k, i)
        layout.append((k, name, sso_path(i)))
        size += entry_bytes("arn:aws:iam::%s:role/%s" % (ACCOUNT, name), "sso-s%03d:{{SessionName}}" % k,
                            ["s%03d" % k])
    return layout, size


def users_that_fit(users, roles_bytes):
    per_user = entry_bytes("arn:aws:iam::%s:user/vault-r000-00000" % ACCOUNT, "t000", ["t000"])
    budget = CONFIG_MAP_DATA_LIMIT - SIZE_MARGIN - len(NODE_ROLES) - roles_bytes
    return max(0, min(users, MAX_MANAGED, budget // per_user))


def roles_supported(build, workdir):
    """None when the binary and fake-aws support role rules, else why not. One SSO role and one mapRoles rule,
    `run --once`: aws-auth's mapRoles must then hold the role's ARN without its path, next to the node role."""
    fakes = Fakes(build, workdir)
    try:
        try:
            fakes.add_role(sso_role_name(0, 0), sso_path(0))
        except Exception as e:  # noqa: BLE001 - any failure of the admin call means "no role seeding"
            return "fake-aws cannot seed roles (POST /admin/roles: %s)" % e
        fakes.put_config_map("aws-auth-refresher", {"mapUsers": "[]\n", "mapRoles": role_rules_yaml(1)})
        fakes.put_config_map("aws-auth", {"mapRoles": NODE_ROLES})
        m = measure(binary_args(build, fakes, ["--once"]), env_for(fakes, workdir), workdir)
        if m["exit_code"] != 0:
            last = m["stderr"].strip().splitlines()[-1:] or ["(no output)"]
            return "the binary does not accept a mapRoles rule (run --once exited %d: %s)" % (
                m["exit_code"], last[0][:300])
        if fakes.iam_actions().get("ListRoles", 0) == 0:
            return "the binary does not list IAM roles (no ListRoles request) for a mapRoles rule"
        map_roles = fakes.get_config_map("aws-auth").get("data", {}).get("mapRoles", "")
        want = "rolearn: arn:aws:iam::%s:role/%s\n" % (ACCOUNT, sso_role_name(0, 0))
        if want not in map_roles or NODE_ROLES not in map_roles:
            return "the binary did not write the SSO role into aws-auth mapRoles as expected (got %r)" % (
                map_roles[:300],)
        return None
    finally:
        fakes.close()


def run_roles_case(build, users, roles, rules, reps, workdir):
    layout, roles_bytes = roles_layout(roles, rules)
    managed = users_that_fit(users, roles_bytes)
    fakes = Fakes(build, workdir)
    try:
        per_rule, extra = divmod(managed, rules)
        for k in range(rules):
            fakes.add_users("vault-r%03d-" % k, per_rule + (1 if k < extra else 0))
        fakes.add_users("svc-", users - managed)
        for _, name, path in layout:
            fakes.add_role(name, path)
        fakes.put_config_map("aws-auth-refresher",
                             {"mapUsers": rules_yaml(rules), "mapRoles": role_rules_yaml(rules)})
        env = env_for(fakes, workdir)
        out = {"users": users, "roles": roles, "rules": rules, "managed_users": managed, "managed_roles": roles,
               "first": [], "steady": []}
        for _ in range(reps):
            fakes.put_config_map("aws-auth", {"mapRoles": NODE_ROLES})  # back to no managed entries
            fakes.clear_logs()
            m = measure(binary_args(build, fakes, ["--once"]), env, workdir)
            if m["exit_code"] != 0:
                raise RuntimeError("--once (first, roles) failed: " + m["stderr"][-2000:])
            data = fakes.get_config_map("aws-auth").get("data", {})
            got_roles = data.get("mapRoles", "").count("- rolearn: ") - 1  # minus the node role
            got_users = data.get("mapUsers", "").count("- userarn: ")
            # A re-emitted list holds the managed entries first, then the hand-written ones (docs/core.md).
            if got_roles != roles or got_users != managed or not data.get("mapRoles", "").endswith(NODE_ROLES):
                raise RuntimeError("roles case: aws-auth holds %d managed roles and %d users, expected %d and %d" % (
                    got_roles, got_users, roles, managed))
            m["iam_requests"] = fakes.iam_requests()
            m["iam_by_action"] = fakes.iam_actions()
            m["kube"] = kube_summary(fakes.kube_requests())
            del m["stderr"]
            out["first"].append(m)
        cm = fakes.get_config_map("aws-auth")
        out["aws_auth_bytes"] = sum(len(v) for v in cm.get("data", {}).values())
        for _ in range(reps):
            fakes.clear_logs()
            m = measure(binary_args(build, fakes, ["--once"]), env, workdir)
            if m["exit_code"] != 0:
                raise RuntimeError("--once (steady, roles) failed: " + m["stderr"][-2000:])
            m["iam_requests"] = fakes.iam_requests()
            m["iam_by_action"] = fakes.iam_actions()
            m["kube"] = kube_summary(fakes.kube_requests())
            if m["kube"]["configmap_writes"] != 0:
                raise RuntimeError("steady --once (roles) wrote aws-auth")
            del m["stderr"]
            out["steady"].append(m)
        return out
    finally:
        fakes.close()


AE_CLUSTER = "bench"
AE_RULES = 10
MUTATING_EKS = ("CreateAccessEntry", "UpdateAccessEntry", "DeleteAccessEntry", "AssociateAccessPolicy",
                "DisassociateAccessPolicy")


def eks_by_operation(fakes):
    """EKS requests by operation, from fake-aws's /admin/eks/log (every request, failed ones too)."""
    out = {}
    for r in http("GET", fakes.aws_admin + "/admin/eks/log")["requests"]:
        out[r.get("operation") or "?"] = out.get(r.get("operation") or "?", 0) + 1
    return out


def eks_entries(fakes):
    return http("GET", fakes.aws_admin + "/admin/eks/entries?cluster=" + AE_CLUSTER)["entries"]


def access_entries_args(build, fakes, extra):
    return binary_args(build, fakes, ["--backend", "access-entries", "--cluster-name", AE_CLUSTER] + extra)


def ae_env(fakes, workdir):
    env = env_for(fakes, workdir)
    env["AWS_ENDPOINT_URL_EKS"] = fakes.aws_info["eks_url"]
    return env


def ae_measure_once(build, fakes, env, workdir, what):
    http("DELETE", fakes.aws_admin + "/admin/eks/log")
    fakes.clear_logs()
    m = measure(access_entries_args(build, fakes, ["--once"]), env, workdir, limit=600.0)
    if m["exit_code"] != 0:
        raise RuntimeError("--once (%s, access entries) failed: %s" % (what, m["stderr"][-2000:]))
    m["eks_by_operation"] = eks_by_operation(fakes)
    m["eks_mutating"] = sum(m["eks_by_operation"].get(op, 0) for op in MUTATING_EKS)
    m["iam_requests"] = fakes.iam_requests()
    del m["stderr"]
    return m


def ae_daemon_steady(build, fakes, env, workdir, cycles_wanted):
    """The daemon (--refresh-interval 1s) with every entry in place: after its first cycle (which reads every
    entry's tags once), CYCLES_WANTED cycles: EKS calls by operation, CPU per cycle, RSS and peak RSS."""
    err_path = os.path.join(workdir, "daemon.log")
    proc = None
    with open(err_path, "wb") as err:
        argv = [os.path.join(build, "aws-auth-refresher"), "run", "--kubeconfig", fakes.kubeconfig,
                "--backend", "access-entries", "--cluster-name", AE_CLUSTER, "--refresh-interval", "1s",
                "--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "0", "--log-level", "info"]
        try:
            proc = subprocess.Popen(argv, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=err)
            port = 0
            deadline = time.monotonic() + 20
            while port == 0 and time.monotonic() < deadline:
                with open(err_path, "rb") as f:
                    found = re.search(rb"serving /metrics on [^ \n]*:([0-9]+)", f.read())
                if found:
                    port = int(found.group(1))
                else:
                    time.sleep(0.05)
            if port == 0:
                raise RuntimeError("the access-entries daemon did not start serving /metrics")

            def wait_cycles(n, limit):
                end = time.monotonic() + limit
                while time.monotonic() < end:
                    c = cycles(metrics(port))
                    if c >= n:
                        return c
                    time.sleep(0.05)
                raise RuntimeError("access-entries daemon: fewer than %d cycles" % n)

            c0 = wait_cycles(1, 300)  # the first cycle describes every entry once
            http("DELETE", fakes.aws_admin + "/admin/eks/log")
            fakes.clear_logs()
            cpu0, t0 = proc_cpu_seconds(proc.pid), time.monotonic()
            c0 = cycles(metrics(port))
            c1 = wait_cycles(c0 + cycles_wanted, 60 + 10 * cycles_wanted)
            cpu1, t1 = proc_cpu_seconds(proc.pid), time.monotonic()
            ops = eks_by_operation(fakes)
            with open("/proc/%d/status" % proc.pid) as f:
                hwm = next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), 0)
            n = c1 - c0
            text = metrics(port)
            errors = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                         if line.startswith('aws_auth_refresher_reconcile_total{result="error"'))
            return {"cycles": n, "seconds": t1 - t0, "cpu_ms_per_cycle": (cpu1 - cpu0) * 1000.0 / n,
                    "rss_kib_at_end": proc_rss_kib(proc.pid), "peak_rss_kib": hwm, "eks_by_operation": ops,
                    "eks_per_cycle": sum(ops.values()) / n,
                    "eks_mutating": sum(ops.get(op, 0) for op in MUTATING_EKS), "error_cycles": int(errors),
                    "iam_requests": fakes.iam_requests()}
        finally:
            if proc is not None:
                stop(proc)


def run_access_entries_case(build, principals, reps, workdir, daemon_cycles=5):
    """Issue #13: PRINCIPALS IAM users under AE_RULES mapUsers rules, written as access entries into a fake EKS
    cluster in API_AND_CONFIG_MAP mode (aws-auth holds only the node role, so nothing migrates).
      first    `run --once`, no entry yet: every entry created, tagged (start-up from nothing).
      restart  `run --once`, every entry in place: a new process reads every entry's tags once, writes nothing.
      steady   the daemon after its first cycle: cached tags, nothing to do, no mutating call.
    No principal gets an access policy (P = 0), so first = N CreateAccessEntry."""
    fakes = Fakes(build, workdir)
    try:
        per_rule, extra = divmod(principals, AE_RULES)
        for k in range(AE_RULES):
            fakes.add_users("vault-r%03d-" % k, per_rule + (1 if k < extra else 0))
        fakes.put_config_map("aws-auth-refresher", {"mapUsers": rules_yaml(AE_RULES)})
        fakes.put_config_map("aws-auth", {"mapRoles": NODE_ROLES})
        env = ae_env(fakes, workdir)
        out = {"principals": principals, "rules": AE_RULES, "mode": "API_AND_CONFIG_MAP", "first": [],
               "restart": [], "steady": None}
        for _ in range(reps):
            http("POST", fakes.aws_admin + "/admin/eks/clusters", {"name": AE_CLUSTER, "mode": "API_AND_CONFIG_MAP"})
            m = ae_measure_once(build, fakes, env, workdir, "first")
            entries = eks_entries(fakes)
            ours = [e for e in entries if e["tags"].get("aws-auth-refresher/owner") == "aws-auth-refresher" and
                    e["tags"].get("aws-auth-refresher/principal-id")]
            if len(entries) != principals or len(ours) != principals:
                raise RuntimeError("access entries case: %d entries (%d tagged as ours), expected %d" % (
                    len(entries), len(ours), principals))
            out["first"].append(m)
        for _ in range(reps):
            m = ae_measure_once(build, fakes, env, workdir, "restart")
            if m["eks_mutating"] != 0:
                raise RuntimeError("access entries restart --once made %d mutating EKS calls" % m["eks_mutating"])
            out["restart"].append(m)
        steady = ae_daemon_steady(build, fakes, env, workdir, daemon_cycles)
        if steady["eks_mutating"] != 0:
            raise RuntimeError("access entries steady daemon made %d mutating EKS calls" % steady["eks_mutating"])
        if steady["error_cycles"] != 0:
            raise RuntimeError("access entries steady daemon had %d failed cycles" % steady["error_cycles"])
        out["steady"] = steady
        return out
    finally:
        fakes.close()


def ops_text(ops):
    return ", ".join("%s %d" % (k, v) for k, v in sorted(ops.items()))


def ae_table(cases):
    lines = [
        "| access entries: principals | first run (none there): wall / CPU / peak RSS | EKS calls (first) "
        "| restart (all there): wall / CPU / peak RSS | EKS calls (restart) | steady daemon: CPU per cycle / "
        "RSS / peak RSS | EKS calls per steady cycle | mutating (restart / steady) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in cases:
        f, re_, s = r["first"], r["restart"], r["steady"]
        lines.append("| %d | %.0f ms / %.0f ms / %.1f MiB | %s | %.0f ms / %.0f ms / %.1f MiB | %s "
                     "| %.1f ms / %.1f MiB / %.1f MiB | %s (%.1f) | %d / %d |" % (
                         r["principals"], med(f, "wall_ms"), med(f, "cpu_ms"), med(f, "peak_rss_kib") / 1024.0,
                         ops_text(f[0]["eks_by_operation"]), med(re_, "wall_ms"), med(re_, "cpu_ms"),
                         med(re_, "peak_rss_kib") / 1024.0, ops_text(re_[0]["eks_by_operation"]),
                         s["cpu_ms_per_cycle"], s["rss_kib_at_end"] / 1024.0, s["peak_rss_kib"] / 1024.0,
                         ops_text({k: v // s["cycles"] for k, v in s["eks_by_operation"].items()}),
                         s["eks_per_cycle"], re_[0]["eks_mutating"], s["eks_mutating"]))
    return "\n".join(lines)


def proc_cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def proc_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as resp:
        return resp.read().decode()


def cycles(text):
    total = 0.0
    for line in text.splitlines():
        if line.startswith("aws_auth_refresher_reconcile_total"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def run_idle(build, users, rules, idle_cycles, workdir):
    fakes = Fakes(build, workdir)
    proc = None
    try:
        managed = seed(fakes, users, rules)
        env = env_for(fakes, workdir)
        first = measure(binary_args(build, fakes, ["--once"]), env, workdir)
        if first["exit_code"] != 0:
            raise RuntimeError("--once before the idle run failed: " + first["stderr"][-2000:])
        err_path = os.path.join(workdir, "daemon.log")
        err = open(err_path, "wb")
        argv = [os.path.join(build, "aws-auth-refresher"), "run", "--kubeconfig", fakes.kubeconfig,
                "--refresh-interval", "1s", "--metrics-bind-address", "127.0.0.1:0",
                "--health-probe-bind-address", "0", "--log-level", "info"]
        proc = subprocess.Popen(argv, env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=err)
        port = 0
        deadline = time.monotonic() + 20
        while port == 0 and time.monotonic() < deadline:
            with open(err_path, "rb") as f:
                m = re.search(rb"serving /metrics on [^ \n]*:([0-9]+)", f.read())
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.05)
        if port == 0:
            raise RuntimeError("the daemon did not start serving /metrics")

        def wait_cycles(n, limit):
            end = time.monotonic() + limit
            while time.monotonic() < end:
                c = cycles(metrics(port))
                if c >= n:
                    return c
                time.sleep(0.05)
            raise RuntimeError("fewer than %d cycles" % n)

        warm = 5
        wait_cycles(warm, 30)
        fakes.clear_logs()
        cpu0, rss0, t0 = proc_cpu_seconds(proc.pid), proc_rss_kib(proc.pid), time.monotonic()
        c0 = cycles(metrics(port))
        samples = [(0, rss0)]  # (cycles since warm-up, RSS KiB) every 10 cycles: growth or a plateau?
        c1 = c0
        while c1 < c0 + idle_cycles:
            c1 = wait_cycles(min(c1 + 10, c0 + idle_cycles), 60)
            samples.append((c1 - c0, proc_rss_kib(proc.pid)))
        cpu1, rss1, t1 = proc_cpu_seconds(proc.pid), proc_rss_kib(proc.pid), time.monotonic()
        kube = kube_summary(fakes.kube_requests())
        iam = fakes.iam_requests()
        n = c1 - c0
        return {
            "users": users, "rules": rules, "managed": managed, "cycles": n, "seconds": t1 - t0,
            "cpu_seconds": cpu1 - cpu0, "cpu_ms_per_cycle": (cpu1 - cpu0) * 1000.0 / n,
            "rss_kib_after_warmup": rss0, "rss_kib_at_end": rss1, "rss_kib_samples": samples,
            "configmap_writes": kube["configmap_writes"], "configmap_gets": kube["configmap_gets"],
            "kube_requests": kube["total"], "kube_by_verb": kube["by_verb"], "iam_requests": iam,
            "requests_per_cycle": (kube["total"] + iam) / n,
        }
    finally:
        if proc is not None:
            stop(proc)
        fakes.close()


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def table(results, idle, roles_case=None):
    lines = [
        "| users × rules | managed | first run: wall / CPU / peak RSS | steady run: wall / CPU / peak RSS "
        "| floor (IAM only): wall / CPU / peak RSS | CPU ÷ floor (first / steady) | IAM req | kube req "
        "(first / steady) | loopback MB (first / steady / floor) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        f, s, fl = r["first"], r["steady"], r["floor"]
        lines.append(
            "| %dk × %d | %d | %.0f ms / %.0f ms / %.1f MiB | %.0f ms / %.0f ms / %.1f MiB | %.0f ms / %.0f ms / "
            "%.1f MiB | %.1f× / %.1f× | %d | %d / %d | %.2f / %.2f / %.2f |" % (
                r["users"] // 1000, r["rules"], r["managed"],
                med(f, "wall_ms"), med(f, "cpu_ms"), med(f, "peak_rss_kib") / 1024.0,
                med(s, "wall_ms"), med(s, "cpu_ms"), med(s, "peak_rss_kib") / 1024.0,
                med(fl, "wall_ms"), med(fl, "cpu_ms"), med(fl, "peak_rss_kib") / 1024.0,
                med(f, "cpu_ms") / med(fl, "cpu_ms"), med(s, "cpu_ms") / med(fl, "cpu_ms"), s[0]["iam_requests"],
                f[0]["kube"]["total"], s[0]["kube"]["total"], med(f, "loopback_bytes") / 1e6,
                med(s, "loopback_bytes") / 1e6, med(fl, "loopback_bytes") / 1e6))
    if roles_case and "skipped" in roles_case:
        lines += ["", "roles case skipped: " + roles_case["skipped"]]
    elif roles_case:
        r = roles_case
        f, s = r["first"], r["steady"]
        lines += [
            "",
            "| users + roles × rules (each key) | managed users / roles | first run: wall / CPU / peak RSS "
            "| steady run: wall / CPU / peak RSS | IAM req (ListUsers / ListRoles) | kube req (first / steady) "
            "| loopback MB (first / steady) |",
            "|---|---|---|---|---|---|---|",
            "| %dk + %dk × %d | %d / %d | %.0f ms / %.0f ms / %.1f MiB | %.0f ms / %.0f ms / %.1f MiB | %d / %d "
            "| %d / %d | %.2f / %.2f |" % (
                r["users"] // 1000, r["roles"] // 1000, r["rules"], r["managed_users"], r["managed_roles"],
                med(f, "wall_ms"), med(f, "cpu_ms"), med(f, "peak_rss_kib") / 1024.0,
                med(s, "wall_ms"), med(s, "cpu_ms"), med(s, "peak_rss_kib") / 1024.0,
                s[0]["iam_by_action"].get("ListUsers", 0), s[0]["iam_by_action"].get("ListRoles", 0),
                f[0]["kube"]["total"], s[0]["kube"]["total"], med(f, "loopback_bytes") / 1e6,
                med(s, "loopback_bytes") / 1e6),
        ]
    if idle:
        lines += [
            "",
            "| idle daemon (%dk × %d, --refresh-interval 1s) | cycles | CPU | CPU per cycle | RSS after warm-up → end "
            "| aws-auth writes | ConfigMap GETs | requests per cycle (IAM + kube) |" % (idle["users"] // 1000,
                                                                                     idle["rules"]),
            "|---|---|---|---|---|---|---|---|",
            "| | %d | %.2f s | %.1f ms | %.1f → %.1f MiB | %d | %d | %.1f |" % (
                idle["cycles"], idle["cpu_seconds"], idle["cpu_ms_per_cycle"],
                idle["rss_kib_after_warmup"] / 1024.0, idle["rss_kib_at_end"] / 1024.0,
                idle["configmap_writes"], idle["configmap_gets"], idle["requests_per_cycle"]),
        ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="bench/e2e/results.json")
    ap.add_argument("--users", default="1000,5000,10000,20000")
    ap.add_argument("--rules", default="10,200")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--idle-cycles", type=int, default=60, help="0 skips the idle run")
    ap.add_argument("--idle-users", type=int, default=10000)
    ap.add_argument("--idle-rules", type=int, default=200)
    ap.add_argument("--access-entries-case", default="1000,3000",
                    help="principal counts of the access-entries backend case (issue #13); '' skips it")
    ap.add_argument("--roles-case", default="10000,2000,200",
                    help="USERS,ROLES,RULES of the rules v2 case (RULES in mapUsers and in mapRoles); '' skips it")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    global MEASURE
    MEASURE = os.path.join(a.build, "bench/measure")

    results = []
    with tempfile.TemporaryDirectory(prefix="aar-bench-") as tmp:
        for users in [int(x) for x in a.users.split(",") if x]:
            for rules in [int(x) for x in a.rules.split(",") if x]:
                work = os.path.join(tmp, "%d-%d" % (users, rules))
                os.makedirs(work)
                print("running %d users x %d rules ..." % (users, rules), file=sys.stderr, flush=True)
                results.append(run_case(a.build, users, rules, a.reps, work))
        roles_case = None
        if a.roles_case:
            users, roles, rules = [int(x) for x in a.roles_case.split(",")]
            work = os.path.join(tmp, "roles-probe")
            os.makedirs(work)
            why_not = roles_supported(a.build, work)
            if why_not:
                print("skipping the roles case (%d users + %d roles x %d rules): %s" % (users, roles, rules, why_not),
                      file=sys.stderr, flush=True)
                roles_case = {"users": users, "roles": roles, "rules": rules, "skipped": why_not}
            else:
                work = os.path.join(tmp, "roles")
                os.makedirs(work)
                print("running %d users + %d roles x %d rules ..." % (users, roles, rules), file=sys.stderr,
                      flush=True)
                roles_case = run_roles_case(a.build, users, roles, rules, a.reps, work)
        ae_cases = []
        for principals in [int(x) for x in a.access_entries_case.split(",") if x]:
            work = os.path.join(tmp, "ae-%d" % principals)
            os.makedirs(work)
            print("running the access-entries backend with %d principals ..." % principals, file=sys.stderr,
                  flush=True)
            ae_cases.append(run_access_entries_case(a.build, principals, a.reps, work))
        idle = None
        if a.idle_cycles > 0:
            work = os.path.join(tmp, "idle")
            os.makedirs(work)
            print("running the idle daemon for %d cycles ..." % a.idle_cycles, file=sys.stderr, flush=True)
            idle = run_idle(a.build, a.idle_users, a.idle_rules, a.idle_cycles, work)

    load = os.getloadavg()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ran_main = bool(results or roles_case or idle)
    doc = {
        "date": now,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_end": load},
        "reps": a.reps,
        "cases": results,
        "roles_case": roles_case,
        "idle": idle,
        "access_entries_cases": ae_cases,
    }
    if not ran_main and os.path.exists(a.out):
        # Only the access-entries case ran: keep the other sections of the previous results, and their date.
        with open(a.out) as f:
            doc = json.load(f)
        doc["access_entries_cases"] = ae_cases
    if ae_cases:
        doc["access_entries_run"] = {"date": now, "reps": a.reps, "loadavg_at_end": load}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    if results or idle or roles_case:
        print(table(results, idle, roles_case) + "\n")
    if ae_cases:
        print(ae_table(ae_cases))
    print("\n(load average at the end: %.2f %.2f %.2f; medians of %d runs; JSON: %s)" % (
        load[0], load[1], load[2], a.reps, a.out))


if __name__ == "__main__":
    main()
