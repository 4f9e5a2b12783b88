#!/usr/bin/env python3
"""The busy namespace of the policy map's benchmark as a Kubernetes List on stdout, the same
objects as app/benches/common/traffic_fixtures.rs (`map_objects`): PODS Pods named
app-<n % 50>-<nnnn> with labels app, tier and pod-template-hash and three container ports, and
POLICIES of the fixture's policies, those that select every Pod without their egress rules.

    tests/bench/policy-map.py NAMESPACE PODS POLICIES | kubectl apply -f -
"""
import json
import sys

APPS = 50


def pod(namespace, index):
    app = f"app-{index % APPS}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": namespace,
            "name": f"{app}-{index:04}",
            "labels": {"app": app, "tier": ["front", "back", "batch"][index % 3],
                       "pod-template-hash": f"h{index}"},
        },
        "spec": {"containers": [{
            "name": "app",
            "image": "harbor.example.com/shop/app:1.0",
            "ports": [
                {"name": "http", "containerPort": 8080},
                {"name": "metrics", "containerPort": 9090},
                {"name": "dns", "containerPort": 5353, "protocol": "UDP"},
            ],
        }]},
    }


def policy(namespace, k):
    if k % 10 == 0:
        selector = {}
    elif k % 10 == 1:
        selector = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}
    else:
        selector = {"matchLabels": {"app": f"app-{k % APPS}"}}

    def rule(j):
        return {
            "from": [
                {"podSelector": {"matchLabels": {"app": f"app-{(k + j + 1) % APPS}"}}},
                {
                    "namespaceSelector": {"matchLabels": {"team": f"t{(k + j) % 10}"}},
                    "podSelector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["batch"]}]},
                },
                {"ipBlock": {"cidr": f"203.0.{k % 256}.0/24", "except": [f"203.0.{k % 256}.7/32"]}},
            ],
            "ports": [
                {"port": 80},
                {"port": 443},
                {"port": "http"},
                {"protocol": "UDP", "port": 30000, "endPort": 30100},
            ],
        }

    spec = {"podSelector": selector, "ingress": [rule(0), rule(1), rule(2)]}
    # As `map_objects` does: the policies that select every Pod keep no egress rules.
    if k % 2 == 0 and k % 10 != 0:
        spec["policyTypes"] = ["Ingress", "Egress"]
        spec["egress"] = [
            {"to": [{"namespaceSelector": {"matchLabels": {"team": f"t{k % 10}"}}}],
             "ports": [{"port": "http"}, {"port": 443}]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]},
        ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"namespace": namespace, "name": f"policy-{k:03}"},
        "spec": spec,
    }


def main():
    namespace, pods, policies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    items = [{"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": namespace, "labels": {"team": "a"}}}]
    items += [pod(namespace, i) for i in range(pods)]
    items += [policy(namespace, k) for k in range(policies)]
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, sys.stdout)


main()
