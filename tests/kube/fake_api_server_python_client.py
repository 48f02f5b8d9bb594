#!/usr/bin/python3
"""Drives the fake API server with Debian's python3-kubernetes (the official client) and checks its answers.

Usage: /usr/bin/python3 fake_api_server_python_client.py KUBECONFIG

Exits 0 and prints one JSON object summarising what it saw (the C++ test compares it with the server's state);
exits 1 with a message on the first unexpected answer. Every call has a timeout; the watch is bounded by
timeout_seconds on the server side and a client-side read timeout.
"""
import json
import sys

from kubernetes import client, config, watch

NS = "kube-system"


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def expect_api_error(status, fn, *args, **kwargs):
    try:
        fn(*args, _request_timeout=10, **kwargs)
    except client.ApiException as e:
        if e.status != status:
            fail("expected HTTP %d, got %d: %s" % (status, e.status, e.body))
        return json.loads(e.body)
    fail("expected HTTP %d, got success" % status)


def main():
    config.load_kube_config(config_file=sys.argv[1])
    core = client.CoreV1Api()
    summary = {}

    # read of a missing object: 404 with a NotFound Status
    status = expect_api_error(404, core.read_namespaced_config_map, "aws-auth", NS)
    if status.get("reason") != "NotFound":
        fail("404 without reason NotFound: %r" % status)

    # create, read back
    created = core.create_namespaced_config_map(
        NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="aws-auth", labels={"app": "iam"}),
                               data={"mapUsers": "[]"}), _request_timeout=10)
    if not created.metadata.uid or not created.metadata.resource_version:
        fail("create did not stamp uid and resourceVersion")
    read = core.read_namespaced_config_map("aws-auth", NS, _request_timeout=10)
    if read.metadata.resource_version != created.metadata.resource_version or read.data != {"mapUsers": "[]"}:
        fail("read back differs from create")
    summary["createdResourceVersion"] = created.metadata.resource_version

    # create again: 409 AlreadyExists
    status = expect_api_error(409, core.create_namespaced_config_map, NS,
                              client.V1ConfigMap(metadata=client.V1ObjectMeta(name="aws-auth")))
    if status.get("reason") != "AlreadyExists":
        fail("second create: %r" % status)

    # replace with the current resourceVersion succeeds; with the stale one: 409 Conflict
    stale_rv = read.metadata.resource_version
    read.data = {"mapUsers": "- userarn: arn:aws:iam::1234567890:user/a\n"}
    replaced = core.replace_namespaced_config_map("aws-auth", NS, read, _request_timeout=10)
    if int(replaced.metadata.resource_version) <= int(stale_rv):
        fail("replace did not advance resourceVersion")
    read.metadata.resource_version = stale_rv
    read.data = {"mapUsers": "lost update"}
    status = expect_api_error(409, core.replace_namespaced_config_map, "aws-auth", NS, read)
    if status.get("reason") != "Conflict":
        fail("stale replace: %r" % status)
    summary["replacedResourceVersion"] = replaced.metadata.resource_version
    summary["conflict"] = status["message"]

    # list with a field selector
    listed = core.list_namespaced_config_map(NS, field_selector="metadata.name=aws-auth", _request_timeout=10)
    if [i.metadata.name for i in listed.items] != ["aws-auth"]:
        fail("list by field selector: %r" % [i.metadata.name for i in listed.items])

    # watch resuming from the create's resourceVersion sees the replace, then ends at timeout_seconds
    events = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, NS, resource_version=stale_rv, timeout_seconds=1,
                          _request_timeout=10):
        events.append([event["type"], event["object"].metadata.name, event["object"].metadata.resource_version])
    if events != [["MODIFIED", "aws-auth", replaced.metadata.resource_version]]:
        fail("watch from %s: %r" % (stale_rv, events))
    summary["watchEvents"] = events

    # patch (the client sends strategic merge patch for a dict body)
    patched = core.patch_namespaced_config_map("aws-auth", NS, {"data": {"extra": "1"}}, _request_timeout=10)
    if patched.data.get("extra") != "1" or "mapUsers" not in patched.data:
        fail("patch: %r" % patched.data)

    # over 1 MiB: 422 Invalid
    status = expect_api_error(422, core.create_namespaced_config_map, NS,
                              client.V1ConfigMap(metadata=client.V1ObjectMeta(name="big"),
                                                 data={"a": "x" * (1024 * 1024 + 1)}))
    if status.get("reason") != "Invalid":
        fail("big ConfigMap: %r" % status)

    # Leases: create, replace with the current and with a stale resourceVersion
    coordination = client.CoordinationV1Api()
    lease = coordination.create_namespaced_lease(
        NS, client.V1Lease(metadata=client.V1ObjectMeta(name="aws-auth-refresher"),
                           spec=client.V1LeaseSpec(holder_identity="pod-a", lease_duration_seconds=15,
                                                   lease_transitions=0)), _request_timeout=10)
    stale_lease_rv = lease.metadata.resource_version
    lease.spec.holder_identity = "pod-b"
    lease.spec.lease_transitions = 1
    taken = coordination.replace_namespaced_lease("aws-auth-refresher", NS, lease, _request_timeout=10)
    if taken.spec.holder_identity != "pod-b":
        fail("lease replace")
    lease.metadata.resource_version = stale_lease_rv
    lease.spec.holder_identity = "pod-c"
    expect_api_error(409, coordination.replace_namespaced_lease, "aws-auth-refresher", NS, lease)
    summary["leaseHolder"] = taken.spec.holder_identity
    summary["leaseResourceVersion"] = taken.metadata.resource_version

    # delete
    core.delete_namespaced_config_map("aws-auth", NS, _request_timeout=10)
    expect_api_error(404, core.read_namespaced_config_map, "aws-auth", NS)

    print(json.dumps(summary))


if __name__ == "__main__":
    main()
