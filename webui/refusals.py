"""What a route can refuse, read from its code rather than listed by hand.

From a route's function and its dependencies, every function of ours it can reach is read (its
source, as the interpreter loaded it) and each refusal made on the way is collected: a domain
error (vault.errors) built or raised, an HTTPException with its status, a failure the error
handlers answer (a damaged file, the blob store down or full). The walk follows what Python
can resolve without running anything: module functions, classes, methods of `self`, of
parameters and of variables whose type an annotation gives. A refusal caught by a handler that
does not raise again is dropped. It errs on the side of more statuses: a status the schema
names that a request never gets is harmless, a status it leaves out breaks generated clients.
"""

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from fastapi.dependencies.models import Dependant
from starlette.exceptions import HTTPException

from keys.errors import CryptoError
from storage.base import BlobStore, BlobStoreError, StoreFullError

Function = Callable[..., object]
Errors = tuple[type[BaseException], ...]

# The packages whose code is read; a library is a leaf.
OURS = ("vault", "webui", "keys", "storage")
# Interfaces whose every method may fail with this error, whichever implementation runs.
FAILING_INTERFACES: dict[type, type[Exception]] = {BlobStore: BlobStoreError}
# Methods of those interfaces that may also fail with a narrower error: a write may find the
# disk or the bucket full.
FAILING_METHODS: dict[Function, type[Exception]] = {BlobStore.put: StoreFullError}
# Errors of other packages than vault that the error handlers turn into an answer.
ANSWERED = (CryptoError, BlobStoreError)


@dataclass(frozen=True)
class Refusal:
    """An exception the code can let out, with its status when it is an HTTPException built
    with a literal one."""

    error: type[BaseException]
    status: int | None = None


@dataclass(frozen=True)
class Instance:
    """A value known, from an annotation, to be an instance of `cls`."""

    cls: type


Resolved = object | Instance | None


def dependency_calls(dependant: Dependant) -> Iterator[Function]:
    """The route's function and those of its dependencies, FastAPI's own reading of them."""
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from dependency_calls(sub)


def refusals_of(dependant: Dependant) -> frozenset[Refusal]:
    """Every refusal the route of `dependant`, or one of its dependencies, can let out."""
    found: set[Refusal] = set()
    for call in dependency_calls(dependant):
        found |= reach(call)
    return frozenset(found)


def calls(dependant: Dependant, target: Function) -> bool:
    """Whether the route or its dependencies can call `target`, directly or not."""
    return any(target in _graph(call) for call in dependency_calls(dependant))


@cache
def reach(func: Function) -> frozenset[Refusal]:
    """The refusals `func` can let out: its own and those of what it calls, less those caught
    on the way. Computed over the whole call graph until nothing changes (calls can loop)."""
    graph = _graph(func)
    found = {each: set(reading.refusals) for each, reading in graph.items()}
    changed = True
    while changed:
        changed = False
        for caller, reading in graph.items():
            for callee, caught in reading.calls:
                new = {r for r in found[callee] if not issubclass(r.error, caught)}
                if not new <= found[caller]:
                    found[caller] |= new
                    changed = True
    return frozenset(found[func])


@cache
def _graph(func: Function) -> dict[Function, "_Reading"]:
    graph: dict[Function, _Reading] = {}
    todo = [func]
    while todo:
        current = todo.pop()
        if current not in graph:
            graph[current] = _read(current)
            todo.extend(callee for callee, _caught in graph[current].calls)
    return graph


def ours(thing: object) -> bool:
    module = getattr(thing, "__module__", None) or ""
    return module.split(".")[0] in OURS


@dataclass(frozen=True)
class _Reading:
    # Each function of ours referred to, with the errors caught for good around the reference.
    calls: frozenset[tuple[Function, Errors]]
    refusals: frozenset[Refusal]


@cache
def _read(func: Function) -> _Reading:
    function = inspect.unwrap(func)  # a decorated function: the one written, with its globals
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return _Reading(frozenset(), frozenset())
    walker = _Walker(function)
    for node in ast.parse(source).body:
        walker.visit(node)
    return _Reading(frozenset(walker.calls), frozenset(walker.refusals))


class _Walker(ast.NodeVisitor):
    """Reads one function, nested functions and lambdas included (they run from here, or from
    what they are handed to)."""

    def __init__(self, function: Function) -> None:
        self.globals: dict[str, object] = getattr(function, "__globals__", {})
        closure = inspect.getclosurevars(function) if inspect.isfunction(function) else None
        self.nonlocals: dict[str, object] = dict(closure.nonlocals) if closure else {}
        self.locals = _parameters(function)
        self.calls: set[tuple[Function, Errors]] = set()
        self.refusals: set[Refusal] = set()
        self.caught: Errors = ()

    def resolve(self, node: ast.expr) -> Resolved:
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return self.locals[node.id]
            return self.nonlocals.get(node.id, self.globals.get(node.id))
        if isinstance(node, ast.Attribute):
            return _attribute(self.resolve(node.value), node.attr)
        if isinstance(node, ast.Call):
            return _result(self.resolve(node.func))
        return None

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Annotations are not calls; default values and the body are.
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.visit(default)
        for statement in node.body:
            self.visit(statement)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        value = self.resolve(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.locals[target.id] = value if isinstance(value, Instance) else None

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.locals.setdefault(node.id, None)
        else:
            self._refer(self.resolve(node))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.generic_visit(node)
        self._refer(self.resolve(node))

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        target = self.resolve(node.func)
        if isinstance(target, type) and issubclass(target, BaseException):
            self._refuse(target, _literal_status(node))

    def visit_Raise(self, node: ast.Raise) -> None:
        self.generic_visit(node)
        raised = self.resolve(node.exc) if node.exc is not None else None
        if isinstance(raised, type) and issubclass(raised, BaseException):
            self._refuse(raised)
        elif isinstance(raised, Instance) and issubclass(raised.cls, BaseException):
            self._refuse(raised.cls)

    def visit_Try(self, node: ast.Try) -> None:
        self._try(node)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self._try(node)

    def _try(self, node: ast.Try | ast.TryStar) -> None:
        """What the block raises, less what a handler catches for good."""
        outer = self.caught
        self.caught = outer + tuple(
            error
            for handler in node.handlers
            if not _raises_again(handler)
            for error in self._of(handler)
        )
        for statement in node.body:
            self.visit(statement)
        self.caught = outer
        for rest in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(rest)

    def _of(self, handler: ast.ExceptHandler) -> Errors:
        if handler.type is None:
            return (BaseException,)
        nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        errors = (self.resolve(each) for each in nodes)
        return tuple(e for e in errors if isinstance(e, type) and issubclass(e, BaseException))

    def _refer(self, thing: Resolved) -> None:
        thing = getattr(thing, "__func__", thing)  # a method of a class: its function
        if isinstance(thing, Instance) or not ours(thing):
            return
        if isinstance(thing, type):
            if not issubclass(thing, BaseException):
                self.calls.update((init, self.caught) for init in _constructors(thing))
        elif callable(thing):
            self.calls.add((thing, self.caught))
            failing = _failing_interface(thing)
            if failing is not None:
                self._refuse(failing)
            if thing in FAILING_METHODS:
                self._refuse(FAILING_METHODS[thing])

    def _refuse(self, error: type[BaseException], status: int | None = None) -> None:
        if issubclass(error, HTTPException) and status is None:
            return  # one built elsewhere, counted there with its status
        if issubclass(error, self.caught):
            return
        if issubclass(error, HTTPException) or ours(error) or issubclass(error, ANSWERED):
            self.refusals.add(Refusal(error, status))


def _parameters(function: Function) -> dict[str, Resolved]:
    names: dict[str, Resolved] = {
        name: _instance(hint) for name, hint in _hints(function).items() if name != "return"
    }
    owner = _owner_class(function)
    if owner is not None and "self" in inspect.signature(function).parameters:
        names["self"] = Instance(owner)
    return names


def _raises_again(handler: ast.ExceptHandler) -> bool:
    """Whether the handler lets what it caught go on (`raise`, `raise exc`); raising another
    error instead is a refusal of its own, found when the handler is read."""
    return any(
        isinstance(node, ast.Raise)
        and (node.exc is None or (isinstance(node.exc, ast.Name) and node.exc.id == handler.name))
        for node in ast.walk(handler)
    )


def _literal_status(call: ast.Call) -> int | None:
    values = [kw.value for kw in call.keywords if kw.arg == "status_code"] + call.args[:1]
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, int):
            return value.value
    return None


def _hints(thing: object) -> dict[str, object]:
    try:
        return typing.get_type_hints(thing)
    except Exception:  # an annotation Python cannot evaluate here: nothing is known of it
        return {}


def _instance(hint: object) -> Resolved:
    """The class an annotation stands for (`X` or `X | None`), as an instance of it."""
    if isinstance(hint, type):
        return Instance(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        classes = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(classes) == 1 and isinstance(classes[0], type):
            return Instance(classes[0])
    return None


def _attribute(base: Resolved, name: str) -> Resolved:
    if base is None:
        return None
    if not isinstance(base, Instance):
        return getattr(base, name, None)
    member = inspect.getattr_static(base.cls, name, None)
    if isinstance(member, property):
        return _result(member.fget)
    if isinstance(member, classmethod | staticmethod):
        return member.__func__
    if inspect.isfunction(member):
        return member
    return _instance(_hints(base.cls).get(name))


def _result(called: Resolved) -> Resolved:
    """What calling `called` gives: an instance of the class, or of the function's return."""
    if isinstance(called, type):
        return Instance(called)
    if callable(called) and not isinstance(called, Instance):
        return _instance(_hints(called).get("return"))
    return None


def _constructors(cls: type) -> Iterator[Function]:
    for name in ("__init__", "__post_init__"):
        member = cls.__dict__.get(name)
        if inspect.isfunction(member) and ours(member):
            yield member


def _owner_class(function: Function) -> type | None:
    parts = getattr(function, "__qualname__", "").split(".")
    if len(parts) != 2:
        return None
    owner = getattr(inspect.getmodule(function), parts[0], None)
    return owner if isinstance(owner, type) else None


def _failing_interface(function: Function) -> type[Exception] | None:
    owner = _owner_class(function)
    if owner is None:
        return None
    return next((e for i, e in FAILING_INTERFACES.items() if i in owner.__mro__), None)
