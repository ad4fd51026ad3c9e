"""An import-linter contract: apps reach each other only through their public face.

``public_face`` contracts name the ``source_modules`` to check, the
``app_packages`` that count as other apps, and the ``public_modules`` (module
expressions, descendants included) those apps expose, usually ``*.services``
and ``*.selectors``. Any direct import from a source module into another app
outside its public modules breaks the contract unless ``ignore_imports``
lists it (say why in a comment beside it). Unlike a forbidden contract, a
module added to an app later is private without editing the contract.
"""

from __future__ import annotations

import grimp
from importlinter.application import contract_utils, output
from importlinter.domain import fields, helpers
from importlinter.domain.contract import Contract, ContractCheck


def _root(module: str) -> str:
    return module.split(".", 1)[0]


def _modules(graph: grimp.ImportGraph, expressions: object, *, as_packages: bool) -> set[str]:
    found = helpers.module_expressions_to_modules(
        graph=graph,
        expressions=expressions,  # type: ignore[arg-type]
        as_packages=as_packages,
    )
    return {module.name for module in found}


class PublicFaceContract(Contract):
    type_name = "public_face"

    source_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    app_packages = fields.ListField(subfield=fields.ModuleExpressionField())
    public_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=contract_utils.AlertLevel.ERROR,
        )
        sources = _modules(graph, self.source_modules, as_packages=True)
        apps = _modules(graph, self.app_packages, as_packages=False)
        public = _modules(graph, self.public_modules, as_packages=True)
        illegal = []
        for importer in sorted(sources):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                other_app = _root(imported) in apps and _root(imported) != _root(importer)
                if other_app and imported not in public and imported != _root(imported):
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = tuple(d["line_number"] for d in details)
                    illegal.append((importer, imported, lines))
        return ContractCheck(
            kept=not illegal,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"illegal": illegal},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Imports past another app's services and selectors:", bold=False)
        output.new_line()
        for importer, imported, lines in check.metadata["illegal"]:
            output.print_error(
                f"- {importer} -> {imported} (l.{', '.join(map(str, lines))})", bold=False
            )
        output.new_line()
