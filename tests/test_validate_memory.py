"""Memory sizes the operator would hand to Flink but a JobManager or TaskManager cannot start with (issue 17)."""

from __future__ import annotations

import copy

import pytest

from flink_gitops.flink import Located
from flink_gitops.render.validation.validator import validate_objects
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.rules.memory import JOBMANAGER, TASKMANAGER, minimum_process_size

MIB = 1 << 20
BASE = {
    "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
    "metadata": {"name": "orders", "namespace": "streaming"},
    "spec": {"flinkVersion": "v1_20", "serviceAccount": "flink",
             "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
             "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
             "job": {"jarURI": "local:///opt/flink/usrlib/orders.jar", "parallelism": 2}},
}


def findings(spec_changes) -> list[str]:
    d = copy.deepcopy(BASE)
    spec_changes(d["spec"])
    errors, _ = validate_objects([Located(d, "app.yaml", 1)], {"namespace": "streaming"})
    return [str(e) for e in errors]


def only(spec_changes) -> str:
    found = findings(spec_changes)
    assert len(found) == 1, found
    return found[0].removeprefix("app.yaml (document 1): FlinkDeployment streaming/orders: ")


def test_the_minimums_follow_flinks_memory_model():
    # Worked out by hand from Flink's defaults, independently of the search in the rule:
    # JobManager: metaspace 256m + overhead min 192m, then the Flink memory must exceed off-heap 128m.
    assert minimum_process_size(JOBMANAGER, Conf({})) == (256 + 192 + 128) * MIB + 1
    # TaskManager: with F the Flink memory (below 640m the network memory is its 64m minimum),
    # 128m + 128m + 0.4 F + 64m <= F, so F >= 320m / 0.6 = 533.33m, plus 448m of metaspace and overhead.
    tm = minimum_process_size(TASKMANAGER, Conf({}))
    assert abs(tm / MIB - (448 + 320 / 0.6)) < 0.01


def test_the_minimum_moves_with_the_configuration():
    less_managed = minimum_process_size(TASKMANAGER, Conf({"taskmanager.memory.managed.fraction": "0.1"}))
    more_metaspace = minimum_process_size(TASKMANAGER, Conf({"taskmanager.memory.jvm-metaspace.size": "512m"}))
    default = minimum_process_size(TASKMANAGER, Conf({}))
    assert less_managed < default < more_metaspace
    assert more_metaspace - default == 256 * MIB


def test_a_number_without_a_unit_in_resource_memory():
    assert only(lambda s: s["taskManager"]["resource"].update(memory="2048")) == (
        "spec.taskManager.resource.memory: TaskManager memory '2048' has no unit: Flink reads it as 2048 bytes; "
        "did you mean 2048m? [memory-size] (fix: write 2048m (MiB); a number alone is bytes)")


def test_a_number_without_a_unit_in_resources_suggests_a_kubernetes_quantity():
    def change(s):
        s["jobManager"] = {"resources": {"requests": {"memory": 2048, "cpu": 1}}}
    assert only(change) == (
        "spec.jobManager.resources.requests.memory: JobManager memory '2048' has no unit: Flink reads it as 2048 "
        "bytes; did you mean 2048Mi? [memory-size] (fix: write 2048Mi (MiB); a number alone is bytes)")


def test_bytes_that_are_whole_mebibytes_suggest_the_same_size_with_a_unit():
    found = only(lambda s: s["taskManager"]["resource"].update(memory="2147483648"))
    assert "did you mean 2048m?" in found


def test_an_integer_in_resource_memory_is_a_schema_error_with_the_unit_in_the_fix():
    found = only(lambda s: s["taskManager"]["resource"].update(memory=2048))
    assert "must be a string, got an integer 2048" in found and 'write memory: "2048m" (a number alone is bytes)' in found


def test_a_number_without_a_unit_in_flink_configuration():
    def change(s):
        del s["taskManager"]["resource"]["memory"]
        s["flinkConfiguration"] = {"taskmanager.memory.process.size": "4096"}
    found = findings(change)
    assert any("spec.flinkConfiguration[taskmanager.memory.process.size]: TaskManager memory '4096' has no unit"
               in f for f in found), found


@pytest.mark.parametrize("who,path,value,ok", [
    ("TaskManager", "taskManager", "981m", False),
    ("TaskManager", "taskManager", "982m", True),
    ("JobManager", "jobManager", "576m", False),
    ("JobManager", "jobManager", "577m", True),
    ("TaskManager", "taskManager", "1Gi", True),
])
def test_below_the_minimum_is_refused_at_the_minimum_it_passes(who, path, value, ok):
    found = findings(lambda s: s[path]["resource"].update(memory=value))
    if ok:
        assert found == []
    else:
        assert len(found) == 1 and f"spec.{path}.resource.memory: {who} memory '{value}' is " in found[0]
        assert f"a {who} can start with here" in found[0]


def test_below_the_minimum_suggests_the_unit_that_was_probably_meant():
    found = only(lambda s: s["taskManager"]["resource"].update(memory="2048k"))
    assert "TaskManager memory '2048k' is 2,097,152 bytes, below the 982m (1,029,002,586 bytes)" in found
    assert "did you mean 2048m?" in found and "(fix: give it at least 982m)" in found


def test_resources_request_wins_over_the_deprecated_field_as_in_the_operator():
    def change(s):
        s["taskManager"]["resources"] = {"requests": {"memory": "512Mi"}, "limits": {"memory": "4Gi"}}
    found = only(change)
    assert found.startswith("spec.taskManager.resources.requests.memory: TaskManager memory '512Mi' is ")


def test_flink_memory_or_heap_set_takes_flink_down_another_path_and_the_check_is_silent():
    def change(s):
        s["taskManager"]["resource"]["memory"] = "800m"
        s["flinkConfiguration"] = {"taskmanager.memory.flink.size": "600m"}
    assert findings(change) == []


def test_a_smaller_managed_fraction_lets_a_smaller_taskmanager_start():
    def change(s):
        s["taskManager"]["resource"]["memory"] = "900m"
        s["flinkConfiguration"] = {"taskmanager.memory.managed.fraction": "0.1"}
    assert findings(change) == []
