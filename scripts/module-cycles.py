#!/usr/bin/env python3
"""Fails when connector-core's top-level modules import each other in a circle.

Reads every `.rs` file under src-tauri/core/src, resolves each `crate::`,
`$crate::` and `super::` path to the top-level module it names, and looks for
a cycle in the resulting graph. Comments and string literals are skipped, so
only code counts; `#[cfg(test)]` code counts too (a test that imports upward
is still an import upward).

    scripts/module-cycles.py            # check; prints the cycle and exits 1
    scripts/module-cycles.py --graph    # print the graph (module -> modules)
"""

import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src-tauri" / "core" / "src"
# Test support sits above every module: any module's tests may use it, and it
# is compiled only for tests (`cfg(test)` or the `testing` feature), so an
# edge into it is never an import the product makes.
TEST_SUPPORT = {"testing"}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def code_tokens(text):
    """Yields the text with comments, strings and char literals blanked out."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif (m := re.compile(r'b?r(#*)"').match(text, i)) and (
            i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            end = '"' + m.group(1)
            j = text.find(end, m.end())
            i = n if j < 0 else j + len(end)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and (m := re.compile(r"'(\\.[^']*|[^\\'])'").match(text, i)):
            i = m.end()  # a char literal; a lifetime ('a) falls through
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def use_tree_heads(code, start):
    """The first segment of each item in a `{a::b, c, d::{e}}` group at `start`."""
    depth, item, heads = 0, "", []
    for ch in code[start:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                heads.append(item)
                break
        if depth == 1 and ch == ",":
            heads.append(item)
            item = ""
        elif depth >= 1:
            item += ch
    return [h.strip().split("::")[0].strip() for h in heads if h.strip()]


def root_reexports(lib_code):
    """`pub use error::{ErrorCode, UserError};` in lib.rs: name -> module."""
    names = {}
    for m in re.finditer(r"pub\s+use\s+([A-Za-z_]\w*)::", lib_code):
        rest = lib_code[m.end() :]
        if rest.startswith("{"):
            group = rest[: rest.index("}") + 1]
            for name in IDENT.findall(group):
                names[name] = m.group(1)
        elif (ident := IDENT.match(rest)) :
            names[ident.group(0)] = m.group(1)
    return names


def file_module_path(path):
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts.pop()
    return parts


def edges_of(path, modules, reexports):
    code = code_tokens(path.read_text())
    file_path = file_module_path(path)
    # Inline `mod name {` blocks deepen the path that `super::` climbs from.
    inline, depth, targets = [], 0, set()
    token = re.compile(r"\bmod\s+([A-Za-z_]\w*)\s*\{|[{}]|\$?\bcrate::|\b(?:super::)+")
    for m in token.finditer(code):
        text = m.group(0)
        if m.group(1):
            depth += 1
            inline.append((depth, m.group(1)))
            continue
        if text == "{":
            depth += 1
            continue
        if text == "}":
            if inline and inline[-1][0] == depth:
                inline.pop()
            depth -= 1
            continue
        if text.endswith("crate::"):
            base = []
        else:
            here = file_path + [name for _, name in inline]
            ups = text.count("super::")
            base = here[: len(here) - ups] if ups <= len(here) else []
            if base:
                continue  # stays inside one top-level module
        after = code[m.end() :]
        heads = use_tree_heads(code, m.end()) if after.startswith("{") else []
        if not heads and (ident := IDENT.match(after)):
            heads = [ident.group(0)]
        for head in heads:
            head = reexports.get(head, head)
            if head in modules:
                targets.add(head)
    return targets


def graph():
    modules = {p.stem for p in SRC.glob("*.rs") if p.stem != "lib"}
    modules |= {p.name for p in SRC.iterdir() if p.is_dir()}
    reexports = root_reexports(code_tokens((SRC / "lib.rs").read_text()))
    deps = {m: set() for m in modules}
    for path in SRC.rglob("*.rs"):
        parts = file_module_path(path)
        if not parts:
            continue
        deps[parts[0]] |= edges_of(path, modules, reexports) - {parts[0], *TEST_SUPPORT}
    return deps


def find_cycle(deps):
    """One cycle as a list of modules, or None (depth-first, three colours)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(deps[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(deps):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def main():
    deps = graph()
    if "--graph" in sys.argv:
        for module in sorted(deps):
            print(f"{module} -> {', '.join(sorted(deps[module])) or '(nothing)'}")
    cycle = find_cycle(deps)
    if cycle:
        print("connector-core: module import circle: " + " -> ".join(cycle), file=sys.stderr)
        sys.exit(1)
    print(f"connector-core: no import circle among {len(deps)} top-level modules")


if __name__ == "__main__":
    main()
