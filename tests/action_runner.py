"""What Argo CD does around an action script, reproduced for the action tests (Lua 5.1 in the reproduced sandbox).

Argo CD (``util/lua/lua.go``, ``server/application/application.go``):

* Discovery runs ``discovery.lua``; an empty table means "no actions". Each key of the returned
  table is an action; a value that encodes as a JSON array (e.g. ``{}``) is an enabled action with
  no details, otherwise it is read as a ResourceAction (``disabled``, ``displayName``,
  ``iconClass``), and a wrongly typed field fails the whole discovery.
* An action runs ``action.lua``; a returned JSON object (old-style output) is the new version of
  the object. Lua cannot tell an empty map from an empty array, so Argo CD repairs the result with
  ``cleanReturnedObj``: where the live object had a map and the script returned an empty array,
  the map comes back. :func:`clean_returned_obj` reproduces it.
* The server then sends ``CreateMergePatch(live, new)`` (RFC 7386) to the API server; an empty
  patch (``{}``) sends nothing. :func:`create_merge_patch` computes the same patch.
* A script may instead return a list of operations (Argo CD 2.8+, ``ImpactedResource``):
  ``{operation = "create"|"patch", resource = {...}}``; any other operation fails the whole action, and
  only ``patch`` results go through ``cleanReturnedObj``. The server (``RunResourceActionV2``) first checks
  every resource against the AppProject and dry-runs every ``create``, then performs them in order:
  a ``patch`` is the merge patch from the *source* object to the returned one, a ``create`` creates the
  resource as returned. :func:`run_operations` and :class:`Cluster` reproduce that.
"""

from __future__ import annotations

from typing import Any

from flink_gitops.argocd.sandbox import LuaSandbox, LuaScriptError


def clean_returned_obj(new: dict, old: dict) -> dict:
    """Argo CD's ``cleanReturnedObj``: an empty array where the live object had a map becomes ``{}``."""
    for key, old_value in old.items():
        if key not in new:
            continue
        new_value = new[key]
        if isinstance(new_value, dict):
            if isinstance(old_value, dict):
                new[key] = clean_returned_obj(new_value, old_value)
        elif isinstance(new_value, list):
            if isinstance(old_value, dict):
                if len(new_value) == 0:
                    new[key] = {}
            elif isinstance(old_value, list):
                new[key] = _clean_returned_array(new_value, old_value)
    return new


def _clean_returned_array(new: list, old: list) -> list:
    for i, new_value in enumerate(new):
        if i >= len(old):
            break
        old_value = old[i]
        if isinstance(new_value, dict) and isinstance(old_value, dict):
            new[i] = clean_returned_obj(new_value, old_value)
        elif isinstance(new_value, list) and isinstance(old_value, list):
            new[i] = _clean_returned_array(new_value, old_value)
    return new


def run_discovery(sandbox: LuaSandbox, source: str, obj: dict, name: str = "discovery.lua") -> list[dict]:
    """The actions Argo CD lists for ``obj``: ``[{name, disabled, displayName?, iconClass?}]`` by name."""
    result = sandbox.run(source, obj, name)
    if not isinstance(result, (dict, list)):
        raise LuaScriptError(f"{name}: expect table output from Lua script, not {type(result).__name__}")
    if result == []:
        return []
    if not isinstance(result, dict):
        raise LuaScriptError(f"{name}: error unmarshaling action table: got a JSON array")
    actions = []
    for action_name, value in result.items():
        action: dict[str, Any] = {"name": action_name, "disabled": False}
        if isinstance(value, dict):
            # json.Unmarshal into ResourceAction: a wrongly typed known field fails the discovery
            for key, wanted in (("disabled", bool), ("displayName", str), ("iconClass", str)):
                if key in value:
                    if not isinstance(value[key], wanted):
                        raise LuaScriptError(f"{name}: {action_name}.{key} must be a {wanted.__name__}")
                    action[key] = value[key]
        elif not isinstance(value, list):  # a table that encodes as an array: enabled, no details
            raise LuaScriptError(f"{name}: error unmarshaling resource action {action_name!r}")
        actions.append(action)
    return sorted(actions, key=lambda a: a["name"])


def run_action(sandbox: LuaSandbox, source: str, obj: dict, name: str = "action.lua") -> dict:
    """The object Argo CD patches the live one towards, after ``cleanReturnedObj`` (old-style actions)."""
    result = sandbox.run(source, obj, name)
    if not isinstance(result, (dict, list)):
        raise LuaScriptError(f"{name}: expect table output from Lua script, not {type(result).__name__}")
    if not isinstance(result, dict):
        raise LuaScriptError(f"{name}: returned a list of impacted resources; these actions return the object")
    return clean_returned_obj(result, obj)


def run_operations(sandbox: LuaSandbox, source: str, obj: dict, name: str = "action.lua") -> list[tuple[str, dict]]:
    """``[(operation, resource)]`` as Argo CD's ``ExecuteResourceAction`` returns them for ``obj``."""
    result = sandbox.run(source, obj, name)
    if not isinstance(result, (dict, list)):
        raise LuaScriptError(f"{name}: expect table output from Lua script, not {type(result).__name__}")
    if isinstance(result, dict):  # old-style output: the object itself, one patch
        return [("patch", clean_returned_obj(result, obj))]
    operations = []
    for item in result:
        if not isinstance(item, dict):
            raise LuaScriptError(f"{name}: json: cannot unmarshal {type(item).__name__} into ImpactedResource")
        operation = item.get("operation")
        if operation not in ("create", "patch"):
            raise LuaScriptError(f"{name}: unsupported operation: {operation!r}")
        resource = item.get("resource")
        if not isinstance(resource, dict):
            raise LuaScriptError(f"{name}: impacted resource is not an object: {resource!r}")
        operations.append((operation, clean_returned_obj(resource, obj) if operation == "patch" else resource))
    return operations


def _key(obj: dict) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")).rpartition("/")[0], str(obj.get("kind", "")),
            str(meta.get("namespace", "")), str(meta.get("name", "")))


class ActionRefused(Exception):
    """What the Argo CD server answers when it refuses an action's result (nothing was changed)."""


class Cluster:
    """The objects of a namespace as the API server keeps them, for what an action's operations do to them.

    ``permitted(obj)`` stands for the AppProject check (``verifyResourcePermitted``) and the RBAC of the
    identity Argo CD acts as; refused, nothing happens at all, as in Argo CD, which checks everything first.
    """

    def __init__(self, *objects: dict, permitted=lambda obj: True):
        self.objects = {_key(o): o for o in objects}
        self.permitted = permitted

    def get(self, obj: dict) -> dict | None:
        return self.objects.get(_key(obj))

    def apply(self, source: dict, operations: list[tuple[str, dict]]) -> None:
        for operation, resource in operations:
            if not self.permitted(resource):
                raise ActionRefused(f"application is not permitted to manage {_key(resource)}")
            if operation == "create":
                missing = [f for f in ("apiVersion", "kind") if not resource.get(f)]
                if missing or not (resource.get("metadata") or {}).get("name"):
                    raise ActionRefused(f"dry run: {missing or ['metadata.name']} required")
                if _key(resource) in self.objects:
                    raise ActionRefused(f"dry run: {_key(resource)} already exists")
        for operation, resource in operations:
            if operation == "patch":
                # Argo CD patches the returned object's identity with the patch from the source object.
                patch = create_merge_patch(source, resource)
                if patch:
                    self.objects[_key(resource)] = apply_merge_patch(self.objects[_key(resource)], patch)
            else:
                self.objects[_key(resource)] = resource


def create_merge_patch(live: Any, new: Any) -> Any:
    """RFC 7386 merge patch turning ``live`` into ``new`` (what ``jsonpatch.CreateMergePatch`` sends)."""
    if not (isinstance(live, dict) and isinstance(new, dict)):
        return new
    patch: dict = {}
    for key, old_value in live.items():
        if key not in new:
            patch[key] = None
        elif not same_json(new[key], old_value):
            if isinstance(old_value, dict) and isinstance(new[key], dict):
                patch[key] = create_merge_patch(old_value, new[key])
            else:
                patch[key] = new[key]
    for key, new_value in new.items():
        if key not in live:
            patch[key] = new_value
    return patch


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 == 1.0, but True is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: what the API server makes of the live object and the patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = apply_merge_patch(out.get(key), value)
    return out
