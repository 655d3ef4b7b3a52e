"""The term file format: one pydantic model, from which both validation and the JSON Schema come.

``TermData`` is what a ``terms/<slug>.yml`` file holds. :class:`Term` adds what the file name and
the file system say (slug, source path, snippet path) and where each value was written.
"""

from __future__ import annotations

import enum
import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_RE = re.compile(SLUG_PATTERN)
SUMMARY_MAX = 200

Text = Annotated[str, Field(min_length=1, pattern=r"\S")]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Url = Annotated[str, Field(pattern=r"^https?://[^\s<>\"]+$")]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Faq(_Strict):
    """One frequently asked question."""

    q: Text = Field(description="The question, as a reader would ask it.")
    a: Text = Field(description="The answer (Markdown).")


class Reference(_Strict):
    """A source for the term: the original paper or a canonical textbook."""

    title: Text = Field(description="Title of the work.")
    authors: Text | None = Field(None, description="Authors, as they should be shown.")
    year: Annotated[int, Field(ge=1600, le=2100)] | None = Field(None, description="Year of publication.")
    url: Url | None = Field(None, description="http(s) link to the work (DOI, arXiv, publisher).")


class Pitfall(_Strict):
    """A common mistake with the concept, and how a reader notices it."""

    mistake: Text = Field(description="The mistake, in a few words (plain text), e.g. 'Forgetting eval mode at inference'.")
    spot: Text = Field(description="How to spot it: the symptom a reader would see (Markdown).")
    fix: Text | None = Field(None, description="What to do instead (Markdown).")


class VerifyOptions(_Strict):
    """Per-term overrides for running and verifying the snippet."""

    timeout: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = Field(10.0, description="Wall-clock limit in seconds.")
    rtol: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = Field(
        1e-5, description="Relative tolerance for numbers in the output (at most 1)."
    )
    atol: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(1e-8, description="Absolute tolerance for numbers in the output.")


class Library(enum.StrEnum):
    """A library an equivalent may use; each is checked against the NumPy snippet when installed."""

    PYTORCH = "pytorch"
    SCIKIT_LEARN = "scikit-learn"
    SCIPY = "scipy"

    @property
    def display(self) -> str:
        return {"pytorch": "PyTorch", "scikit-learn": "scikit-learn", "scipy": "SciPy"}[self.value]

    @property
    def module(self) -> str:
        """What the code imports (and the worker imports once, before forking)."""
        return {"pytorch": "torch", "scikit-learn": "sklearn", "scipy": "scipy"}[self.value]

    @property
    def distribution(self) -> str:
        """The name pip installs it under (its version goes into the badge and the cache key)."""
        return {"pytorch": "torch", "scikit-learn": "scikit-learn", "scipy": "scipy"}[self.value]


class Equivalent(_Strict):
    """The same computation in a library, checked against the NumPy snippet in every build.

    ``code`` runs once per case that the snippet's ``inputs`` function returns, with the case's
    entries bound as variables (NumPy arrays and numbers); afterwards each variable named in
    ``outputs`` is compared, shape and values, with what the snippet's ``reference`` function
    returns for the same case (one value, or a tuple with one value per output).
    """

    library: Library = Field(strict=False, description="pytorch, scikit-learn or scipy.")
    code: Text = Field(description="What a reader writes with the library (Python). The case's inputs are its variables.")
    reference: Identifier = Field(description="The snippet function it must agree with; called with the case's inputs as keywords.")
    inputs: Identifier = Field(description="The snippet function returning the cases: a list of dicts of named inputs.")
    outputs: list[Identifier] = Field(
        min_length=1, description="Variables of `code` to compare, in the order of the values `reference` returns (gradients included)."
    )
    conventions: Text | None = Field(
        None, description="Where the library's convention differs from the snippet's (Markdown), shown beside the code."
    )
    rtol: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = Field(1e-7, description="Relative tolerance, as in numpy.allclose.")
    atol: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(1e-10, description="Absolute tolerance, as in numpy.allclose.")


class TermData(_Strict):
    """A glossary term: one file ``terms/<slug>.yml``; the slug is the file name."""

    term: Text = Field(description="Display name, e.g. 'Batch Normalization'.")
    aliases: list[Text] = Field(default_factory=list, description="Other names people search for, e.g. 'BN'.")
    summary: Annotated[str, Field(min_length=1, max_length=SUMMARY_MAX, pattern=r"\S")] = Field(
        description="One sentence (at most 200 characters) used in related lists, tooltips, search and meta tags."
    )
    definition: Text = Field(description="'What is X?' in Markdown; two paragraphs or more.")
    how_it_works: Text | None = Field(None, description="How it works (Markdown, LaTeX math in $...$).")
    example: Text | None = Field(None, description="A worked example (Markdown).")
    why_it_matters: Text | None = Field(None, description="Why it matters (Markdown).")
    pitfalls: list[Pitfall] = Field(default_factory=list, description="Common mistakes and how to spot them; shown after 'Why it matters'.")
    faq: list[Faq] = Field(default_factory=list, description="Frequently asked questions.")
    related: list[Slug] = Field(default_factory=list, description="Slugs of related terms.")
    prerequisites: list[Slug] = Field(
        default_factory=list,
        description="Slugs of terms a reader should know first (the terms whose snippets this term's snippet imports count too).",
    )
    tags: list[Text] = Field(default_factory=list, description="Tags for the tags index.")
    references: list[Reference] = Field(default_factory=list, description="Sources.")
    snippet: Text | None = Field(
        None, description="Path of the snippet, relative to the project; defaults to snippets/<slug_with_underscores>.py."
    )
    verify: VerifyOptions = Field(default_factory=VerifyOptions, description="Snippet run and comparison settings.")
    equivalents: list[Equivalent] = Field(
        default_factory=list, description="The same computation in PyTorch, scikit-learn or SciPy, verified against the snippet."
    )
    plurals: list[Text] = Field(default_factory=list, description="Irregular plural forms (regular ones are automatic).")
    no_autolink: list[Text] = Field(default_factory=list, description="Phrases that must not be auto-linked to this term.")


FIELDS = tuple(TermData.model_fields)
REQUIRED = tuple(name for name, f in TermData.model_fields.items() if f.is_required())


@dataclass(frozen=True)
class Term:
    """A validated term and where it came from."""

    slug: str
    path: Path
    data: TermData
    snippet: Path | None = None
    positions: dict[tuple[Any, ...], tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.data.term

    @property
    def module(self) -> str:
        """Import name of the default snippet: ``batch-normalization`` → ``batch_normalization``."""
        return module_name(self.slug)

    def line_of(self, *path: Any) -> tuple[int | None, int | None]:
        """1-based (line, column) of the value at ``path``, or of the closest enclosing value."""
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None, None
            path = path[:-1]


def module_name(slug: str) -> str:
    return slug.replace("-", "_")


def slugify(name: str) -> str:
    """'Layer Normalization' → 'layer-normalization'; accents dropped, never empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "term"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for term files, generated from :class:`TermData`."""
    schema = TermData.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }


@functools.cache  # the same for the whole session: the edit loop asks for it at every edit
def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
