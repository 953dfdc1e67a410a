#!/usr/bin/env python3
"""`make package`'s last step: what `sam build` made, checked before anything is uploaded.

For every AWS::Serverless::Function of the template it checks that `sam build` left a
`bootstrap` in the build directory (a function it skipped would otherwise show only at deploy
time) and that the bootstrap is an aarch64 ELF (the template deploys arm64: a binary for another
machine would deploy fine and fail at its first invocation). It prints each bootstrap's size and
the size of the zip SAM uploads for it, and fails when a zip reaches the budget below: a jump in
size means a dependency, a feature (the `local` SQLite store) or debug symbols came in by
mistake, and the zip is what Lambda fetches on every cold start.

Usage: package-sizes.py TEMPLATE BUILD_DIR
Needs PyYAML (cfn-lint brings it into .tools/venv, which is what the Makefile runs this with).
"""

import io
import os
import struct
import sys
import zipfile

import yaml

# The budget for one function's zip, in MiB (8 × 1024 × 1024 bytes). Lambda's own limit is far
# higher (50 MB zipped for a direct upload, 250 MB unzipped); this is ours.
ZIP_BUDGET = 8 * 1024 * 1024
EM_AARCH64 = 183


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that accepts CloudFormation's short-form tags (!Ref, !If, !Sub, ...)."""


# Only the resources' types are read here, so the tags' values are irrelevant.
_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def functions(template_path):
    with open(template_path, encoding="utf-8") as f:
        template = yaml.load(f, Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)
    resources = template.get("Resources") or {}
    return sorted(
        name
        for name, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function"
    )


def elf_machine(path):
    """The ELF e_machine of a 64-bit little-endian ELF file, or None if it is not one."""
    with open(path, "rb") as f:
        header = f.read(20)
    # e_ident: magic, EI_CLASS 2 (64-bit), EI_DATA 1 (little-endian); e_machine at offset 18.
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
        return None
    return struct.unpack_from("<H", header, 18)[0]


def zipped_size(path):
    """The size of the zip SAM would make of this bootstrap.

    Mirrors samcli.lib.package.utils.make_zip_with_permissions: one entry named `bootstrap`,
    Unix mode 0755, deflated at zlib's default level.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.create_system = 3
        info.external_attr = 0o100755 << 16
        with open(path, "rb") as f:
            zf.writestr(info, f.read(), compress_type=zipfile.ZIP_DEFLATED)
    return len(buffer.getvalue())


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} TEMPLATE BUILD_DIR", file=sys.stderr)
        return 2
    template_path, build_dir = argv[1], argv[2]
    names = functions(template_path)
    if not names:
        print(f"{template_path}: no AWS::Serverless::Function resources", file=sys.stderr)
        return 1

    errors = []
    rows = []
    for name in names:
        bootstrap = os.path.join(build_dir, name, "bootstrap")
        if not os.path.isfile(bootstrap):
            errors.append(f"{name}: not built ({bootstrap} is missing)")
            continue
        machine = elf_machine(bootstrap)
        if machine != EM_AARCH64:
            what = "not a 64-bit little-endian ELF" if machine is None else f"ELF e_machine {machine}"
            errors.append(f"{name}: {bootstrap} is {what}, not aarch64 ({EM_AARCH64})")
        size = os.path.getsize(bootstrap)
        zipped = zipped_size(bootstrap)
        if zipped >= ZIP_BUDGET:
            errors.append(f"{name}: zip is {zipped:,} bytes, at or over the budget of {ZIP_BUDGET:,}")
        rows.append((name, size, zipped))

    if rows:
        width = max(len("function"), *(len(name) for name, _, _ in rows))
        print(f"{'function':<{width}}  {'bootstrap':>12}  {'zip':>12}  (bytes; arm64)")
        for name, size, zipped in rows:
            print(f"{name:<{width}}  {size:>12,}  {zipped:>12,}")
    budget = f"{ZIP_BUDGET:,} bytes ({ZIP_BUDGET / 2**20:g} MiB)"
    print(f"zip budget: under {budget} per function")

    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"{len(rows)} functions built for aarch64, each zip under {budget}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
