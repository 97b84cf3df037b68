"""Parses a Prometheus text exposition from stdin with prometheus_client's own parser
(tests/e2e/metrics.rs) and prints its samples as JSON: [{family, type, help, name, labels,
value}]. A malformed exposition raises, so the test sees a non-zero exit."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        out.append(
            {
                "family": family.name,
                "type": family.type,
                "help": family.documentation,
                "name": sample.name,
                "labels": sample.labels,
                "value": sample.value,
            }
        )
json.dump(out, sys.stdout)
