"""Checks that deploy/*.yaml parse and hold what docs/deployment.md promises.

Usage: /usr/bin/python3 manifests_test.py SOURCE_DIR BINARY
"""
import subprocess
import sys
import unittest

import yaml

SOURCE_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "."
BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else ""


def load(name):
    with open(f"{SOURCE_DIR}/deploy/{name}") as f:
        return [d for d in yaml.safe_load_all(f) if d]


class CommonManifestTest(unittest.TestCase):
    def setUp(self):
        self.docs = load("common.yaml")

    def test_declares_service_account_role_and_binding_in_that_order(self):
        self.assertEqual([(d["kind"], d["metadata"]["name"], d["metadata"]["namespace"]) for d in self.docs],
                         [("ServiceAccount", "aws-auth-refresher", "kube-system"),
                          ("Role", "aws-auth-refresher", "kube-system"),
                          ("RoleBinding", "aws-auth-refresher", "kube-system")])

    def test_role_limits_config_map_access_to_the_two_names(self):
        rules = self.docs[1]["rules"]
        named = {tuple(r["resourceNames"]): sorted(r["verbs"])
                 for r in rules if r["resources"] == ["configmaps"] and r.get("resourceNames")}
        self.assertEqual(named, {("aws-auth",): ["get", "list", "update", "watch"],
                                 ("aws-auth-refresher",): ["get", "list", "watch"]})
        unnamed = [r for r in rules if r["resources"] == ["configmaps"] and not r.get("resourceNames")]
        self.assertEqual([r["verbs"] for r in unnamed], [["create"]])

    def test_rules_config_map_is_read_only(self):
        # Whoever can write the rules can grant their groups: the controller itself must not be able to.
        for r in self.docs[1]["rules"]:
            if r["resources"] == ["configmaps"] and "aws-auth-refresher" in r.get("resourceNames", []):
                self.assertEqual(sorted(r["verbs"]), ["get", "list", "watch"])
        self.assertFalse([r for r in self.docs[1]["rules"] if r["resources"] == ["configmaps"]
                          and set(r["verbs"]) & {"patch", "delete", "deletecollection", "*"}])

    def test_role_grants_leases_and_events_only(self):
        rules = self.docs[1]["rules"]
        leases = [r for r in rules if r["resources"] == ["leases"]]
        self.assertTrue(all(r["apiGroups"] == ["coordination.k8s.io"] for r in leases))
        self.assertEqual(sorted(v for r in leases for v in r["verbs"]), ["create", "get", "update"])
        self.assertIn(["aws-auth-refresher"], [r.get("resourceNames") for r in leases])
        events = [r for r in rules if r["resources"] == ["events"]]
        self.assertEqual(len(events), 1)
        self.assertEqual(sorted(events[0]["apiGroups"]), ["", "events.k8s.io"])
        self.assertEqual(sorted(events[0]["verbs"]), ["create", "patch", "update"])
        self.assertEqual(len(rules), len(leases) + len(events) + 3)

    def test_binding_ties_the_role_to_the_service_account(self):
        b = self.docs[2]
        self.assertEqual(b["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                        "name": "aws-auth-refresher"})
        self.assertEqual(b["subjects"], [{"kind": "ServiceAccount", "name": "aws-auth-refresher",
                                          "namespace": "kube-system"}])


class DeploymentManifestTest(unittest.TestCase):
    def setUp(self):
        docs = load("deployment.yaml")
        self.assertEqual([d["kind"] for d in docs], ["Deployment", "PodDisruptionBudget"])
        self.d = docs[0]
        self.pdb = docs[1]
        self.pod = self.d["spec"]["template"]["spec"]
        self.c = self.pod["containers"][0]

    def test_is_the_deployment_the_readme_selects_by_label(self):
        self.assertEqual((self.d["kind"], self.d["metadata"]["name"], self.d["metadata"]["namespace"]),
                         ("Deployment", "aws-auth-refresher", "kube-system"))
        self.assertEqual(self.d["spec"]["template"]["metadata"]["labels"]["app"], "aws-auth-refresher")
        self.assertEqual(self.d["spec"]["selector"]["matchLabels"], {"app": "aws-auth-refresher"})
        self.assertEqual(self.pod["serviceAccountName"], "aws-auth-refresher")

    def test_image_tag_is_pinned(self):
        image = self.c["image"]
        name, _, tag = image.rpartition(":")
        self.assertTrue(name and "/" not in tag, image)
        self.assertNotEqual(tag, "latest")

    def test_runs_more_than_one_replica_only_with_leader_election(self):
        if self.d["spec"]["replicas"] > 1:
            self.assertIn("--leader-elect", self.c["args"])

    def test_replicas_prefer_different_nodes(self):
        terms = self.pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
        self.assertEqual(len(terms), 1)
        term = terms[0]["podAffinityTerm"]
        self.assertEqual(term["topologyKey"], "kubernetes.io/hostname")
        self.assertEqual(term["labelSelector"], {"matchLabels": {"app": "aws-auth-refresher"}})
        self.assertNotIn("requiredDuringSchedulingIgnoredDuringExecution", self.pod["affinity"]["podAntiAffinity"])

    def test_disruption_budget_keeps_one_of_the_replicas(self):
        self.assertEqual((self.pdb["apiVersion"], self.pdb["metadata"]["name"], self.pdb["metadata"]["namespace"]),
                         ("policy/v1", "aws-auth-refresher", "kube-system"))
        self.assertEqual(self.pdb["spec"]["selector"], {"matchLabels": {"app": "aws-auth-refresher"}})
        spec = self.pdb["spec"]
        self.assertEqual(len({"minAvailable", "maxUnavailable"} & set(spec)), 1)
        replicas = self.d["spec"]["replicas"]
        self.assertGreaterEqual(replicas, 2)
        available = spec["minAvailable"] if "minAvailable" in spec else replicas - spec["maxUnavailable"]
        self.assertGreaterEqual(available, 1)
        self.assertLess(available, replicas, "a budget that allows no eviction blocks every node drain")

    def test_probes_use_healthz_and_readyz_on_the_probe_port(self):
        ports = {p["name"]: p["containerPort"] for p in self.c["ports"]}
        self.assertEqual(ports, {"metrics": 8080, "probes": 8081})
        self.assertEqual(self.c["livenessProbe"]["httpGet"], {"path": "/healthz", "port": "probes"})
        self.assertEqual(self.c["readinessProbe"]["httpGet"], {"path": "/readyz", "port": "probes"})
        self.assertIn("--health-probe-bind-address=:8081", self.c["args"])
        self.assertIn("--metrics-bind-address=:8080", self.c["args"])

    def test_security_context_is_restricted(self):
        sc = self.c["securityContext"]
        self.assertTrue(sc["runAsNonRoot"])
        self.assertEqual(sc["runAsUser"], 65534)
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(sc["seccompProfile"]["type"], "RuntimeDefault")
        self.assertEqual(self.pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")

    def test_requests_and_memory_limit_are_set(self):
        r = self.c["resources"]
        self.assertTrue(r["requests"]["cpu"] and r["requests"]["memory"] and r["limits"]["memory"])

    def test_every_flag_in_args_is_known_to_the_binary(self):
        if not BINARY:
            self.skipTest("no binary given")
        args = self.c["args"]
        self.assertEqual(args[0], "run")
        out = subprocess.run([BINARY, "run", "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        for a in args[1:]:
            flag = a.split("=", 1)[0]
            self.assertRegex(out.stdout, r"(^|[\s,])" + flag + r"\b", f"{flag} missing from run --help")


class KustomizationTest(unittest.TestCase):
    def test_lists_both_manifests(self):
        k = load("kustomization.yaml")[0]
        self.assertEqual(k["resources"], ["common.yaml", "deployment.yaml"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
