"""Whole-site build times at scale: termbook against plain Material and markdown-exec, side by side.

    .venv/bin/python benchmarks/build.py                  # N = 100 and 1000, median of 3 runs
    .venv/bin/python benchmarks/build.py --large          # also N = 10,000, one run (an hour or more on 2 cores)
    .venv/bin/python benchmarks/build.py --sizes 300 --repeat 1 --keep /tmp/tb300
    .venv/bin/python benchmarks/build.py --write-page     # also rewrite site_src/performance.md

For each N it generates a synthetic glossary into a temporary directory: N terms whose prose is as
long as the real ones (definition, how it works, example, why it matters, FAQ, inline and display
math), about seven related terms each, aliases, mentions of other terms in the prose, and one small
NumPy snippet per term (a forward/backward pair, two ``check_*`` functions, a demo) whose output is
pinned in ``<module>.out`` by running it. Then it builds, each case in its own
``python -m mkdocs build`` process, in the same run, and reports the median of ``--repeat`` runs:

  A  plain MkDocs + Material building the same pages as hand-written Markdown: termbook's own
     renderer writes every page once into a docs directory; what a user of plain Material would
     run on that text: the theme with search and offline, code highlighting (highlight and
     superfences) and math (arithmatex), no tags, no mkdocs-jupyter, not termbook's list of
     extensions; term pages are not in the nav (as in the real site)
  F  termbook's first build: no cache at all (every snippet executed, every page converted);
     configured as the real site (search, tags, termbook, mkdocs-jupyter for the tutorials,
     offline; termbook's extensions)
  B  termbook with the snippet-run cache emptied: every snippet executed again; the page cache
     is kept, so B - C is what executing the snippets costs (their output is unchanged, and so
     are the pages)
  C  termbook, warm: nothing changed, no snippet executed, every term page from the page cache
  G  C with the page cache off (``page_cache: false``): every page converted again, what a
     warm build cost before the page cache
  D  termbook after editing one snippet: exactly that snippet executed again, its page converted
  E  markdown-exec executing the same snippets in-process, in the pages of A (each pinned output
     block replaced by a hidden ``exec="on"`` block that runs the snippet's checks and demo)

Time is wall clock of the whole ``mkdocs build`` process (interpreter start included). Peak memory
is the ``ru_maxrss`` that ``wait4`` reports for the build: the largest resident set of any single
process in its tree (the mkdocs process itself in practice; snippet workers are separate, smaller
processes). Snippets executed come from termbook's log line "N terms, M snippets (R run, K cached)".

Targets (issue 16): C <= 1.2 x A with zero snippets executed in C; (B-C)/N <= (E-A)/N; D <= 1.1 x C
with exactly one snippet executed; peak memory of termbook's builds (F, B, C, G, D) at 10,000
<= 1.1 x A's. Kept from issue 8: C(10,000) / C(1000) <= 10.5. ``--large-skip G`` leaves G out at
10,000 (it alone takes as long as F).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import yaml
from termbook.linking import plural

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "site_src" / "performance.md"
CASES = ("A", "F", "B", "C", "G", "D", "E")
DESCRIPTION = {
    "A": "plain Material, same pages as Markdown",
    "F": "termbook first build: no cache at all",
    "B": "termbook, every snippet run (run cache emptied)",
    "C": "termbook warm: nothing changed",
    "G": "termbook warm, page cache off",
    "D": "termbook, one snippet edited",
    "E": "markdown-exec, snippets in-process",
}
TERMBOOK_CASES = "FBCGD"
LOG_LINE = re.compile(r"termbook: (\d+) terms, (\d+) snippets \((\d+) run, (\d+) cached\)")

# --- the synthetic glossary ----------------------------------------------------------------------

MODIFIERS = [
    "Sparse",
    "Adaptive",
    "Stochastic",
    "Residual",
    "Gated",
    "Spectral",
    "Contrastive",
    "Hierarchical",
    "Variational",
    "Bayesian",
    "Recurrent",
    "Convolutional",
    "Attentive",
    "Robust",
    "Latent",
    "Causal",
    "Masked",
    "Quantized",
    "Federated",
    "Online",
    "Local",
    "Global",
    "Deep",
    "Shallow",
    "Dense",
    "Cyclic",
    "Implicit",
    "Explicit",
    "Weighted",
    "Normalized",
    "Regularized",
    "Temporal",
    "Multiscale",
    "Low-Rank",
    "Orthogonal",
    "Probabilistic",
    "Differentiable",
    "Invariant",
    "Structured",
    "Annealed",
]
DOMAINS = [
    "Gradient",
    "Feature",
    "Token",
    "Embedding",
    "Weight",
    "Activation",
    "Attention",
    "Kernel",
    "Label",
    "Batch",
    "Layer",
    "Channel",
    "Sequence",
    "Graph",
    "Policy",
    "Reward",
    "Memory",
    "Prototype",
    "Manifold",
    "Margin",
    "Entropy",
    "Mixture",
    "Signal",
    "Spectrum",
    "Patch",
    "Query",
    "Context",
    "Cluster",
    "Boundary",
    "Noise",
]
HEADS = [
    "Estimator",
    "Encoder",
    "Decoder",
    "Sampler",
    "Pooling",
    "Normalization",
    "Scheduler",
    "Regularizer",
    "Loss",
    "Classifier",
    "Regressor",
    "Clustering",
    "Projection",
    "Alignment",
    "Distillation",
    "Augmentation",
    "Initialization",
    "Search",
    "Pruning",
    "Smoothing",
    "Dropout",
    "Network",
    "Transform",
    "Bottleneck",
    "Gate",
    "Filter",
    "Model",
    "Objective",
    "Metric",
    "Tokenizer",
]
TAGS = [
    "fundamentals",
    "training",
    "layers",
    "optimization",
    "architectures",
    "classical-ml",
    "evaluation",
    "regularization",
    "probability",
    "losses",
    "sequence-models",
    "data",
    "unsupervised",
    "normalization",
]

INLINE_MATH = [
    r"x \in \mathbb{{R}}^{{{a} \times {b}}}",
    r"\eta = 0.{a}",
    r"\theta_{{t+1}} = \theta_t - \eta \nabla_\theta L",
    r"\sigma(z) = 1 / (1 + e^{{-z}})",
    r"p",
    r"x_i",
    r"h_{{{a}}}",
    r"\lambda \lVert w \rVert_2^2",
    r"O(n^{b})",
    r"\mathbb{{E}}[\tilde h_j] = h_j",
    r"W_{{{a}{b}}}",
    r"\frac{{1}}{{{a}}} \sum_{{i=1}}^{{{a}}} x_i",
    r"y = W x + b",
    r"k = {a}",
    r"\epsilon = 10^{{-{b}}}",
    r"\log p(x)",
    r"m \odot h",
    r"\mu_B",
    r"\sigma_B^2",
    r"\hat y_i",
]
DISPLAY_MATH = [
    r"\mathcal{{L}}(\theta) = \frac{{1}}{{N}} \sum_{{i=1}}^{{N}} \ell(f_\theta(x_i), y_i) + {a} \cdot 10^{{-{b}}} \lVert \theta \rVert^2",
    r"\hat x_i = \frac{{x_i - \mu_B}}{{\sqrt{{\sigma_B^2 + \epsilon}}}}, \qquad y_i = \gamma \hat x_i + \beta",
    r"\theta_{{t+1}} = \theta_t - \frac{{\eta}}{{\sqrt{{v_t}} + \epsilon}} \, m_t, \qquad m_t = 0.{a} \, m_{{t-1}} + g_t",
    r"p(y = k \mid x) = \frac{{\exp(z_k / {a})}}{{\sum_{{j=1}}^{{K}} \exp(z_j / {a})}}",
]
DEFINITION = [
    "{T} is a technique that maps an input {m} to an output of the same shape, so it can be placed anywhere in a network.",
    "In practice it is used together with {R}, which supplies the statistics it needs at every step.",
    "The idea is older than its name: early work on {R} already described the special case {m}.",
    "Unlike {R}, it does not assume that the features are independent, and it stays stable when {m}.",
    "It has one main hyperparameter, {m}, which trades bias against variance.",
    "Most libraries implement it as a layer with learned parameters {m} and a fixed buffer {m}.",
    "A reader who knows {R} can think of it as the same computation applied per group instead of per sample.",
    "It was proposed to make training less sensitive to the learning rate and to the initial weights.",
    "The name is used loosely in papers, so check which variant a paper means before comparing results.",
    "Its cost is linear in the number of inputs and it needs no extra memory beyond {m}.",
]
HOW = [
    "**Forward pass.** Compute {m} for each input, then combine the results with {m}.",
    "**Backward pass.** The gradient flows through the same operations in reverse, so it costs about as much as the forward pass.",
    "The update is the same one used by {R}, with {m} replaced by a running estimate.",
    "When {m}, the method reduces to {R}, which is a useful sanity check for an implementation.",
    "Numerically, subtract the maximum before exponentiating and add {m} before dividing, so nothing overflows.",
    "**At inference** the running statistics are frozen and the layer becomes an affine map {m}.",
    "Because the operation is elementwise, it vectorises well and the snippet below needs no loop.",
    "The scale {m} is learned; initialising it to one makes the layer start as the identity.",
    "Compared with {R}, the variance of the estimate shrinks as {m} grows.",
]
EXAMPLE = [
    "Take a batch of four inputs with {m} and apply {T} with {m}.",
    "The table lists the value after each of the first three steps.",
    "After a few hundred steps the loss has fallen from about 2.3 to 0.4, while the same network with {R} alone stalls near 0.9.",
    "Doubling {m} halves the number of steps needed, up to the point where training diverges.",
]
WHY = [
    "{T} made it practical to train deeper models with less tuning, and it is a default in many architectures.",
    "It matters most when the data are noisy or the batch is small, where {R} alone is unreliable.",
    "Its main cost is one more hyperparameter, {m}, to tune on validation data.",
    "Several later methods, {R} among them, are refinements of the same idea.",
    "It is cheap at inference time, which is why it survives in deployed models.",
]
QUESTIONS = [
    "Why does {T} need {m}?",
    "Is {T} the same as {R}?",
    "What value of {m} should I start with?",
    "Does {T} help at inference time?",
    "When should I avoid {T}?",
    "How does {T} interact with {R}?",
]
ANSWERS = [
    "Without it the estimate has a large variance and training becomes unstable.",
    "No: {R} changes the inputs, while this changes how they are combined, though the two are often used together.",
    "Start with {m} and tune it on validation data; most reported values lie within a factor of ten of it.",
    "Only indirectly: at inference the learned parameters are fixed and the operation is a cheap affine map.",
    "With very small batches the statistics are too noisy; {R} is the usual replacement there.",
    "They compose well; apply this first and {R} after it, as most reference implementations do.",
    "The answer depends on {m}, which the section above derives.",
]

SNIPPET = '''\
"""{name}: {title} and its gradient, in NumPy.

A synthetic snippet written by benchmarks/build.py: the shape of a real termbook snippet, with a
pure forward/backward pair, checks and a demo that prints a few lines.
"""

import numpy as np

from termbook.checks import assert_gradient_close, numerical_gradient_array

SCALE = {scale}


def {fn}_forward(x, scale=SCALE):
    """{formula}, elementwise.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Inputs.
    scale : float
        Output scale.

    Returns
    -------
    out : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return {forward}


def {fn}_backward(dout, x, scale=SCALE):
    """Gradient of :func:`{fn}_forward` with respect to ``x``.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
        Upstream gradient.
    x : ndarray of shape (N, D)
        Input of the forward pass.

    Returns
    -------
    dx : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(dout, dtype=np.float64) * {backward}


def check_{invariant_name}():
    x = np.linspace(-3.0, 3.0, 13)
    assert np.allclose({invariant})


def check_backward_matches_numerical_gradient():
    rng = np.random.default_rng({seed})
    # away from where a derivative vanishes, so that an elementwise relative error is meaningful
    x, dout = rng.uniform(-1.0, 2.0, size=(4, 5)), rng.uniform(0.5, 2.0, size=(4, 5))
    numeric = numerical_gradient_array({fn}_forward, x, dout)
    assert_gradient_close({fn}_backward(dout, x), numeric, tol=1e-5)


if __name__ == "__main__":
    rng = np.random.default_rng({seed})
    x = rng.normal(size=(3, 4))
    print("input mean:", round(float(x.mean()), 4))
    print("output:")
    print({fn}_forward(x).round(4))
    print("gradient norm:", round(float(np.linalg.norm({fn}_backward(np.ones_like(x), x))), 4))
'''
OPS = [
    dict(
        fn="scaled_tanh",
        title="a scaled tanh",
        formula="``scale * tanh(x)``",
        forward="scale * np.tanh(x)",
        backward="scale * (1.0 - np.tanh(x) ** 2)",
        invariant_name="odd_function",
        invariant="{fn}_forward(-x), -{fn}_forward(x)",
    ),
    dict(
        fn="scaled_softplus",
        title="a scaled softplus",
        formula="``scale * log(1 + exp(x))``",
        forward="scale * np.logaddexp(0.0, x)",
        backward="scale / (1.0 + np.exp(-x))",
        invariant_name="difference_is_linear",
        invariant="{fn}_forward(x) - {fn}_forward(-x), SCALE * x",
    ),
    dict(
        fn="scaled_swish",
        title="a scaled swish",
        formula="``scale * x * sigmoid(x)``",
        forward="scale * x / (1.0 + np.exp(-x))",
        backward="scale * (1.0 / (1.0 + np.exp(-x))) * (1.0 + x * (1.0 - 1.0 / (1.0 + np.exp(-x))))",
        invariant_name="difference_is_linear",
        invariant="{fn}_forward(x) - {fn}_forward(-x), SCALE * x",
    ),
]

HOME = """\
---
title: Home
---

# Synthetic glossary

A generated glossary for benchmarks. Browse the [A–Z index](terms/index.md) or the [tags](tags.md).
"""
TAGS_PAGE = """\
---
title: Tags
search:
  exclude: true
---

# Tags

<!-- material/tags -->
"""
GUIDE = """\
# How to add a term

One YAML file in `terms/` and one Python file in `snippets/`; see the real guide in the repository.
"""
MKDOCS_YML = """\
site_name: synthetic glossary
docs_dir: {docs_dir}
strict: {strict}
theme:
  name: material
  font: false
  language: en
  features: [content.code.copy, content.tooltips, navigation.tabs, navigation.top, search.highlight, search.suggest, toc.follow]
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
      primary: indigo
      toggle: {{icon: material/weather-night, name: Switch to dark mode}}
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      primary: indigo
      toggle: {{icon: material/weather-sunny, name: Switch to light mode}}
nav:
  - Home: index.md
  - A–Z index: terms/index.md
  - Tags: tags.md
  - Graph: graph.md
  - How to add a term: guide.md
plugins:
{plugins}
validation:
  nav:
    omitted_files: ignore
  links:
    anchors: warn
markdown_extensions:
{extensions}
"""
# termbook's site as the real mkdocs.yml configures it: mkdocs-jupyter renders only the tutorials
# (there are none here, so what it costs is what it does to every other page)
JUPYTER = """mkdocs-jupyter:
      include: ["tutorials/*.ipynb"]
      ignore: ["*.md"]
      execute: false
      markdown_cell_processor: mkdocs
      mathjax_version: 2
      custom_mathjax_url: "../assets/termbook/no-mathjax.js"
      ignore_h1_titles: false"""
PLUGINS = {
    "termbook": ["search", "tags", "termbook", JUPYTER, "offline"],
    "plain": ["search", "offline"],
    "exec": ["search", "markdown-exec", "offline"],
}
# termbook's pages need its whole list (admonitions, attribute lists, details, ...); a user of plain
# Material writing the same text would turn on code highlighting (highlight with superfences, which
# markdown-exec needs too) and math, and nothing else.
TERMBOOK_EXTENSIONS = """\
  - abbr
  - admonition
  - attr_list
  - def_list
  - footnotes
  - md_in_html
  - tables
  - toc:
      permalink: true
  - pymdownx.details
  - pymdownx.highlight:
      anchor_linenums: true
  - pymdownx.inlinehilite
  - pymdownx.keys
  - pymdownx.superfences
  - pymdownx.arithmatex:
      generic: true"""
PLAIN_EXTENSIONS = """\
  - pymdownx.highlight:
      anchor_linenums: true
  - pymdownx.superfences
  - pymdownx.arithmatex:
      generic: true"""
EXTENSIONS = {"termbook": TERMBOOK_EXTENSIONS, "plain": PLAIN_EXTENSIONS, "exec": PLAIN_EXTENSIONS}
# Without attr_list the A–Z index's "{#letter-a}" anchors are text, and MkDocs warns about the
# links to them: A and E build without --strict (the warnings are in their logs).
STRICT = {"termbook": "true", "plain": "false", "exec": "false"}


@dataclass
class Spec:
    slug: str
    name: str
    words: tuple[str, ...]
    aliases: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _names(n: int, rng: random.Random) -> list[tuple[str, ...]]:
    pool = [(m, d, h) for m in MODIFIERS for d in DOMAINS for h in HEADS] + [(d, h) for d in DOMAINS for h in HEADS]
    if n > len(pool):
        raise SystemExit(f"at most {len(pool)} synthetic terms")
    rng.shuffle(pool)
    return pool[:n]


def _aliases(words: tuple[str, ...], taken: set[str], rng: random.Random) -> list[str]:
    acronym = "".join(w[0] for w in " ".join(words).replace("-", " ").split()).upper()
    low = [w.lower() for w in words]
    candidates = [
        acronym,
        "-".join(low[:-1]) + " " + low[-1],  # "sparse-gradient estimator"
        f"{low[-1]} for {plural(' '.join(low[:-1]))}",  # "estimator for sparse gradients"
        "".join(w.replace("-", "") for w in words),  # "SparseGradientEstimator"
    ]
    wanted = rng.choices([1, 2, 3, 4], weights=[2, 3, 3, 2])[0]
    out = []
    for alias in candidates:
        if len(out) == wanted:
            break
        if alias.casefold() not in taken:
            taken.add(alias.casefold())
            out.append(alias)
    return out


def plan(n: int, seed: int = 0) -> list[Spec]:
    """Names, aliases, tags and related terms of a glossary of ``n`` terms (deterministic)."""
    from termbook.model import slugify

    rng = random.Random(seed)
    specs = []
    for words in _names(n, rng):
        name = " ".join(words)
        specs.append(Spec(slugify(name), name, words))
    taken = {s.name.casefold() for s in specs}
    for s in specs:
        s.aliases = _aliases(s.words, taken, rng)
    # Neighbourhoods of ~40 terms share a tag and most related links, as topics do in a real glossary.
    cluster = 40
    for i, s in enumerate(specs):
        c = i // cluster
        s.tags = [TAGS[c % len(TAGS)]] + rng.sample([t for t in TAGS if t != TAGS[c % len(TAGS)]], rng.choice([0, 1, 1, 2]))
        lo, hi = c * cluster, min(n, (c + 1) * cluster)
        local = [j for j in range(lo, hi) if j != i]
        k = min(len(local), rng.randint(3, 11))
        chosen = rng.sample(local, k)
        if n > cluster and rng.random() < 0.5:
            chosen.append(rng.randrange(n))
        s.related = list(dict.fromkeys(specs[j].slug for j in chosen if j != i))
    return specs


class _Prose:
    """Sentences from templates: ``{T}`` the term, ``{R}`` a mention of another term, ``{m}`` math."""

    def __init__(self, spec: Spec, specs: list[Spec], by_slug: dict[str, Spec], rng: random.Random):
        self.spec, self.specs, self.rng = spec, specs, rng
        related = [by_slug[s] for s in spec.related]
        others = [specs[rng.randrange(len(specs))] for _ in range(3)]
        self.mentions = [t for t in related + others if t is not spec] or [spec]

    def math(self) -> str:
        a, b = self.rng.randint(1, 64), self.rng.randint(1, 9)
        return "$" + self.rng.choice(INLINE_MATH).format(a=a, b=b) + "$"

    def display(self) -> str:
        a, b = self.rng.randint(2, 9), self.rng.randint(1, 9)
        return "$$" + self.rng.choice(DISPLAY_MATH).format(a=a, b=b) + "$$"

    def mention(self) -> str:
        other = self.rng.choice(self.mentions)
        form = self.rng.random()
        if form < 0.15 and other.aliases:
            return self.rng.choice(other.aliases)
        if form < 0.3:
            return plural(other.name.lower())
        return other.name.lower()

    def sentence(self, template: str) -> str:
        out = re.sub(r"\{m\}", lambda _: self.math(), template)
        out = re.sub(r"\{R\}", lambda _: self.mention(), out)
        return out.replace("{T}", self.spec.name)

    def paragraph(self, templates: list[str], chars: int) -> str:
        text: list[str] = []
        while sum(map(len, text)) < chars:
            text.append(self.sentence(self.rng.choice(templates)))
        # wrap like a hand-written file, but never inside a formula (the linker and arithmatex
        # read inline math on one line)
        glued = re.sub(r"\$[^$]+\$", lambda m: m.group().replace(" ", "\0"), " ".join(text))
        return textwrap.fill(glued, 100, break_on_hyphens=False).replace("\0", " ")


def term_yaml(spec: Spec, specs: list[Spec], by_slug: dict[str, Spec], seed: int) -> str:
    rng = random.Random(f"{seed}-{spec.slug}")
    p = _Prose(spec, specs, by_slug, rng)
    article = "An" if spec.words[-1][0] in "AEIOU" else "A"
    rows = "\n".join(f"| {step} | {rng.uniform(-2, 2):.3f} |" for step in (1, 2, 3))
    data = {
        "term": spec.name,
        "aliases": spec.aliases,
        "summary": f"{article} {spec.words[-1].lower()} that {rng.choice(['rescales', 'combines', 'filters', 'estimates'])} "
        f"{spec.words[-2].lower()} values so that training is {rng.choice(['faster', 'more stable', 'less noisy'])}, "
        "with one learned scale per feature.",
        "definition": p.paragraph(DEFINITION, 600) + "\n\n" + p.paragraph(DEFINITION, 600) + "\n",
        "how_it_works": p.paragraph(HOW, 600)
        + "\n\n"
        + p.display()
        + "\n\n"
        + p.paragraph(HOW, 500)
        + "\n\n"
        + p.display()
        + "\n\n"
        + p.paragraph(HOW, 400)
        + "\n",
        "example": p.paragraph(EXAMPLE, 450) + "\n\n| step | value |\n|---|---|\n" + rows + "\n\n" + p.paragraph(EXAMPLE, 250) + "\n",
        "why_it_matters": p.paragraph(WHY, 700) + "\n",
        "faq": [{"q": p.sentence(q), "a": p.paragraph(ANSWERS, 380) + "\n"} for q in rng.sample(QUESTIONS, rng.randint(3, 6))],
        "related": spec.related,
        "tags": spec.tags,
        "references": [
            {
                "title": f"{spec.name}: {rng.choice(['a study', 'theory and practice', 'revisited', 'at scale'])} (part {j})",
                "authors": f"{rng.choice('ABCDEFGH')}. {rng.choice(['Smith', 'Chen', 'Garcia', 'Okafor', 'Novak'])}, "
                f"{rng.choice('IJKLMNOP')}. {rng.choice(['Ito', 'Müller', 'Rossi', 'Kowalski', 'Haddad'])}",
                "year": rng.randint(1986, 2024),
                "url": f"https://example.org/papers/{spec.slug}/{j}",
            }
            for j in range(1, rng.randint(2, 6) + 1)
        ],
    }
    return "# yaml-language-server: $schema=../schema/term.schema.json\n" + yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def snippet_source(spec: Spec, index: int) -> str:
    op = dict(OPS[index % len(OPS)])
    op["invariant"] = op["invariant"].format(fn=op["fn"])
    return SNIPPET.format(name=spec.name, scale=round(0.5 + (index % 7) * 0.25, 2), seed=index, **op)


def exec_body(source: str) -> str:
    """The snippet as one in-process block: module code, the demo unguarded, then every check."""
    head, demo = source.split('if __name__ == "__main__":\n', 1)
    checks = re.findall(r"^def (check_\w+)\(\):", head, re.M)
    return head + textwrap.dedent(demo) + "".join(f"{name}()\n" for name in checks)


def _run_main(path: Path) -> str:
    """Run the snippet as a script (its output is what gets pinned) and check that its checks pass."""
    buf = io.StringIO()
    namespace = {"__name__": "__main__", "__file__": str(path)}
    with contextlib.redirect_stdout(buf):
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    for name, check in namespace.items():
        if name.startswith("check_"):
            check()
    return buf.getvalue()


def generate(n: int, root: Path, seed: int = 0) -> list[Spec]:
    """Write terms/, snippets/ (pinned outputs included), docs/ and mkdocs.yml under ``root``."""
    from termbook.mathml import tex_to_mathml

    for template in INLINE_MATH + DISPLAY_MATH:  # every formula must convert, or strict builds fail
        tex_to_mathml(template.format(a=12, b=3))  # (MathML, removals)
    specs = plan(n, seed)
    by_slug = {s.slug: s for s in specs}
    (root / "terms").mkdir(parents=True)
    (root / "snippets").mkdir()
    (root / "snippets" / "__init__.py").write_text("")
    for i, spec in enumerate(specs):
        (root / "terms" / f"{spec.slug}.yml").write_text(term_yaml(spec, specs, by_slug, seed), encoding="utf-8")
        path = root / "snippets" / f"{spec.slug.replace('-', '_')}.py"
        path.write_text(snippet_source(spec, i), encoding="utf-8")
        path.with_suffix(".out").write_text(_run_main(path), encoding="utf-8")
    docs = root / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(HOME)
    (docs / "tags.md").write_text(TAGS_PAGE)
    (docs / "guide.md").write_text(GUIDE)
    write_config(root / "mkdocs.yml", "docs", "termbook")
    return specs


def write_config(path: Path, docs_dir: str, kind: str) -> None:
    plugins = "\n".join(f"  - {p}" for p in PLUGINS[kind])
    path.write_text(
        MKDOCS_YML.format(docs_dir=docs_dir, plugins=plugins, extensions=EXTENSIONS[kind], strict=STRICT[kind]), encoding="utf-8"
    )


_SLOT = re.compile(r'<div class="termbook-graph-slot"[^>]*></div>\n*')
_OUTPUT = re.compile(r"Output:\n\n(`{3,})text\n.*?\n\1\n", re.S)


def write_markdown_sites(root: Path) -> None:
    """A's docs (the pages termbook generates, as files) and E's (the same with executed outputs).

    Rendered once with termbook's own pipeline, from the warm cache of a previous build; the graph
    slots termbook fills at HTML time are dropped, as a hand-written site would not have them.
    """
    from termbook.glossary import BuildOptions
    from termbook.pages import build_pages
    from termbook.project import Project

    build = build_pages(BuildOptions(Project.discover(root)))
    if build.errors:
        raise SystemExit("synthetic glossary has errors:\n" + "\n".join(p.format() for p in build.errors[:10]))
    by_slug = {t.slug: t for t in build.terms}
    for kind in ("plain", "exec"):
        docs = root / f"docs-{kind}"
        shutil.copytree(root / "docs", docs)
        for rel, content in {**build.pages, **getattr(build, "assets", {})}.items():
            text = _SLOT.sub("", content)
            slug = rel.removeprefix("terms/").removesuffix(".md")
            if kind == "exec" and rel.startswith("terms/") and slug in by_slug:
                body = exec_body(by_slug[slug].snippet.read_text(encoding="utf-8"))
                block = f'Output:\n\n```python exec="on" result="text"\n{body}```\n'
                text, count = _OUTPUT.subn(lambda m, block=block: block, text)
                if count != 1:
                    raise SystemExit(f"{rel}: expected one output block to replace, found {count}")
            out = docs / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        write_config(root / f"mkdocs-{kind}.yml", f"docs-{kind}", kind)


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cpu_seconds: float  # user + system, of the build and every process it waited for
    max_rss_mb: float
    ran: int | None  # snippets executed (termbook builds only)
    cached: int | None


def build(root: Path, config: str, label: str, keep: bool = False) -> Run:
    """One ``mkdocs build`` in its own process: wall time, its max RSS (from wait4), the log."""
    site = root / f"site-{label}"
    shutil.rmtree(site, ignore_errors=True)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    log_path = root / f"build-{label}.log"
    with open(log_path, "w") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "-f", config, "-d", str(site)],
            cwd=root,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log_path.read_text()
    if not keep:  # 10,000 pages take a gigabyte per site
        shutil.rmtree(site, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"build {label} failed ({proc.returncode}):\n{text[-3000:]}")
    m = LOG_LINE.search(text)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, usage.ru_maxrss / 1024, int(m[3]) if m else None, int(m[4]) if m else None)


def edit_one_snippet(root: Path, specs: list[Spec], rep: int) -> None:
    """A change that alters the snippet's source (so its cache key) but not its output."""
    path = root / "snippets" / f"{specs[len(specs) // 2].slug.replace('-', '_')}.py"
    source = re.sub(r"\n# edited for benchmark run \d+\n$", "\n", path.read_text())
    path.write_text(source + f"# edited for benchmark run {rep}\n")


def without_page_cache(root: Path) -> str:
    """A copy of the termbook config with the page cache off (case G); its file name."""
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    changed = config.replace("  - termbook\n", "  - termbook:\n      page_cache: false\n", 1)
    if changed == config:
        raise SystemExit("mkdocs.yml has no '- termbook' plugin line to configure")
    (root / "mkdocs-no-page-cache.yml").write_text(changed, encoding="utf-8")
    return "mkdocs-no-page-cache.yml"


def measure(n: int, repeat: int, workdir: Path | None, progress, skip: frozenset[str] = frozenset()) -> dict:
    """Every case for one N, interleaved so that drift hits all cases alike."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"termbook-bench-{n}-")))
        else:
            root = workdir / f"n{n}"
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
        start = time.perf_counter()
        specs = generate(n, root)
        progress(f"N={n}: generated {n} terms and snippets in {time.perf_counter() - start:.1f} s")
        cases = [c for c in CASES if c not in skip]
        runs: dict[str, list[Run]] = {c: [] for c in cases}
        keep = workdir is not None
        load = [os.getloadavg()[0]]
        no_page_cache = without_page_cache(root)
        for rep in range(repeat):
            shutil.rmtree(root / ".cache", ignore_errors=True)
            runs["F"].append(build(root, "mkdocs.yml", "F", keep))
            runs["C"].append(build(root, "mkdocs.yml", "C", keep))
            if "G" in runs:
                runs["G"].append(build(root, no_page_cache, "G", keep))
            shutil.rmtree(root / ".cache" / "termbook" / "runs", ignore_errors=True)
            runs["B"].append(build(root, "mkdocs.yml", "B", keep))
            edit_one_snippet(root, specs, rep)
            runs["D"].append(build(root, "mkdocs.yml", "D", keep))
            if rep == 0:
                write_markdown_sites(root)
            runs["A"].append(build(root, "mkdocs-plain.yml", "A", keep))
            runs["E"].append(build(root, "mkdocs-exec.yml", "E", keep))
            load.append(os.getloadavg()[0])
            progress(f"N={n} run {rep + 1}/{repeat}: " + ", ".join(f"{c} {runs[c][-1].seconds:.1f} s" for c in cases))
        terms_chars = sum(p.stat().st_size for p in (root / "terms").glob("*.yml")) / n
        stats = {
            "aliases": sum(len(s.aliases) for s in specs) / n,
            "related": sum(len(s.related) for s in specs) / n,
            "term_file_bytes": terms_chars,
        }
    result = {"n": n, "repeat": repeat, "glossary": stats, "load": [round(x, 1) for x in load], "cases": {}}
    for case, rs in runs.items():
        result["cases"][case] = {
            "seconds": statistics.median(r.seconds for r in rs),
            "all_seconds": [round(r.seconds, 3) for r in rs],
            "cpu_seconds": statistics.median(r.cpu_seconds for r in rs),
            "max_rss_mb": max(r.max_rss_mb for r in rs),
            "ran": [r.ran for r in rs] if rs[0].ran is not None else None,
        }
    return result


# --- reporting -----------------------------------------------------------------------------------


def table(results: list[dict]) -> list[str]:
    """A Markdown table: one row per (N, case)."""
    lines = [
        "| N | case | what | time (s) | × A | CPU (s) | peak RSS (MiB) | snippets run |",
        "|--:|:-:|---|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        a = r["cases"]["A"]["seconds"]
        for case in [c for c in CASES if c in r["cases"]]:
            c = r["cases"][case]
            ran = "" if c["ran"] is None else "/".join(str(x) for x in sorted(set(c["ran"])))
            lines.append(
                f"| {r['n']:,} | {case} | {DESCRIPTION[case]} | {c['seconds']:.2f} | {c['seconds'] / a:.2f} | {c['cpu_seconds']:.1f} "
                f"| {c['max_rss_mb']:.0f} | {ran} |"
            )
    return lines


def targets(results: list[dict]) -> list[tuple[str, bool, str]]:
    """(target, met, measured) for every target the sizes in ``results`` allow to check."""
    out = []
    by_n = {r["n"]: r["cases"] for r in results}
    for n, c in sorted(by_n.items()):
        t = {k: v["seconds"] for k, v in c.items()}
        cpu = {k: v["cpu_seconds"] for k, v in c.items()}
        ran_c, ran_d = set(c["C"]["ran"]), set(c["D"]["ran"])
        out.append((f"N={n:,}: C/A ≤ 1.2", t["C"] / t["A"] <= 1.2, f"{t['C'] / t['A']:.2f} (CPU {cpu['C'] / cpu['A']:.2f})"))
        out.append((f"N={n:,}: no snippet run in C", ran_c == {0}, f"{'/'.join(map(str, sorted(ran_c)))} run"))
        if "E" in t:
            termbook, mdexec = (t["B"] - t["C"]) / n * 1e3, (t["E"] - t["A"]) / n * 1e3
            out.append((f"N={n:,}: (B−C)/N ≤ (E−A)/N", termbook <= mdexec, f"{termbook:.2f} ms vs {mdexec:.2f} ms per snippet"))
        out.append((f"N={n:,}: D/C ≤ 1.1", t["D"] / t["C"] <= 1.1, f"{t['D'] / t['C']:.2f} (CPU {cpu['D'] / cpu['C']:.2f})"))
        out.append((f"N={n:,}: one snippet run in D", ran_d == {1}, f"{'/'.join(map(str, sorted(ran_d)))} run"))
        peak, plain = max(c[k]["max_rss_mb"] for k in TERMBOOK_CASES if k in c), c["A"]["max_rss_mb"]
        target = "≤ 1.1" if n >= 10000 else "≤ 1.1 (the target is for 10,000)"
        out.append(
            (f"N={n:,}: termbook's peak memory / A's {target}", peak <= 1.1 * plain, f"{peak / plain:.2f} ({peak:.0f} vs {plain:.0f} MiB)")
        )
    if 1000 in by_n and 10000 in by_n:
        ratio = by_n[10000]["C"]["seconds"] / by_n[1000]["C"]["seconds"]
        cpu_ratio = by_n[10000]["C"]["cpu_seconds"] / by_n[1000]["C"]["cpu_seconds"]
        out.append(("C(10,000) / C(1000) ≤ 10.5", ratio <= 10.5, f"{ratio:.2f} (CPU {cpu_ratio:.2f})"))
    return out


def code_version() -> str:
    """The termbook commit measured (read-only git), and whether files differed from it."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--", "plugins"], cwd=REPO, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit.stdout.strip() + (" with local changes to plugins/" if status.stdout.strip() else "")


def code_fingerprint() -> str:
    """A hash of termbook's sources, to notice an edit made while the benchmark runs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((REPO / "plugins" / "termbook").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def machine() -> dict[str, str]:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kib / 2**20:.1f} GiB"
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "NumPy": version("numpy"),
        "MkDocs": version("mkdocs"),
        "Material for MkDocs": version("mkdocs-material"),
        "markdown-exec": version("markdown-exec"),
        "termbook": code_version(),
    }


def report(results: list[dict]) -> str:
    lines = table(results) + ["", "Targets:"]
    for name, ok, value in targets(results):
        lines.append(f"  {'met   ' if ok else 'MISSED'}  {name}: {value}")
    return "\n".join(lines)


def memory_note(results: list[dict]) -> list[str]:
    """Why peak memory is what it is, in the numbers of the largest N measured."""
    r = results[-1]
    a = r["cases"]["A"]["max_rss_mb"]
    c = max(r["cases"][k]["max_rss_mb"] for k in TERMBOOK_CASES if k in r["cases"])
    return [
        f"Peak memory at N = {r['n']:,}: plain Material alone reaches {a:,.0f} MiB, because MkDocs keeps the "
        "Markdown and the HTML of every page until the build ends and then writes the search index of all of "
        f"them; termbook's builds peak at {c:,.0f} MiB ({c / a:.2f} × A). What termbook adds is the libraries it "
        "imports (pydantic, nh3, latex2mathml; mkdocs-jupyter with nbconvert for the tutorials), the same at any "
        "size, and, per term, the loaded term (its text, its model, where each field is in the file, for "
        "locating problems), its links and its snippet's run.",
        "",
    ]


def times(results: list[dict]) -> str:
    """'3 times' or 'N = 100 and 1,000: 3 times; N = 10,000: once'."""

    def count(k: int) -> str:
        return {1: "once", 2: "twice"}.get(k, f"{k} times")

    groups: dict[int, list[str]] = {}
    for r in results:
        groups.setdefault(r["repeat"], []).append(f"{r['n']:,}")
    if len(groups) == 1:
        return count(next(iter(groups)))
    return "; ".join(f"N = {' and '.join(ns)}: {count(k)}" for k, ns in groups.items())


def page(results: list[dict], commands: list[str], info: dict[str, str] | None = None, date: str | None = None) -> str:
    info = info or machine()
    ns = [f"{r['n']:,}" for r in results]
    sizes = ", ".join(ns[:-1]) + f" and {ns[-1]}" if len(ns) > 1 else ns[0]
    g = results[-1]["glossary"]
    lines = [
        "---",
        "title: Performance",
        'description: "How long the site takes to build, against plain Material and markdown-exec."',
        "---",
        "",
        "# Performance",
        "",
        f"Measured on {date or dt.date.today().isoformat()} with {' and '.join(f'`{c}`' for c in commands)}, "
        f"for synthetic glossaries of {sizes} terms.",
        "Each term is as long as the real ones (about "
        f"{g['term_file_bytes'] / 1000:.0f} kB of YAML: definition, how it works, example, FAQ, inline and display math), "
        f"with {g['related']:.1f} related terms and {g['aliases']:.1f} aliases on average, mentions of other terms in "
        "its prose, and one small NumPy snippet (a forward/backward pair, two checks, a demo) with its pinned output.",
        "",
        "Every build runs in its own `mkdocs build` process, the cases one after the other, "
        f"{times(results)}; the table shows the median. *Time* is the wall clock of the build "
        "(interpreter start included), *CPU* the user + system time of the build and of every process it started "
        "(snippet workers included), *peak RSS* the largest resident set of any one process of the build.",
        "The load average of the machine while it ran: "
        + "; ".join(f"N = {r['n']:,}: {min(r['load']):.1f} to {max(r['load']):.1f}" for r in results)
        + f" (on {os.cpu_count()} cores; above that, the wall times are inflated by other work).",
        "",
        "- **A**: plain MkDocs + Material building the same pages, written out as Markdown files: what a user of "
        "plain Material would run on that text — search, offline, code highlighting (highlight, superfences) and "
        "math (arithmatex); no termbook, no tags, no mkdocs-jupyter, not termbook's list of Markdown extensions.",
        "- **F**: termbook's first build, with no cache at all, configured as this site is (search, tags, termbook, "
        "mkdocs-jupyter for the tutorials, offline; termbook's extensions): every snippet runs, each in its own "
        "isolated process, and every page is converted.",
        "- **B**: termbook with the snippet-run cache emptied: every snippet runs again; the page cache is kept, and "
        "as the outputs do not change neither do the pages, so B − C is what running the snippets costs.",
        "- **C**: termbook again with nothing changed: every snippet result comes from the run cache and every term "
        "page from the page cache (the finished HTML of a page whose Markdown and settings are unchanged).",
        "- **G**: C with the page cache off (`page_cache: false`): every page converted again, as every warm build "
        "was before the page cache.",
        "- **D**: termbook after one snippet was edited: that snippet alone runs again and its page is converted.",
        "- **E**: the pages of A with [markdown-exec](https://pawamoy.github.io/markdown-exec/) running each "
        "snippet inside the build process (no isolation, no verification, no cache).",
        "",
        *table(results),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|--:|:-:|",
        *[f"| {name} | {value} | {'met' if ok else '**missed**'} |" for name, ok, value in targets(results)],
        "",
        *memory_note(results),
        "C − A is termbook's own work when nothing changed, less the conversions it skips: reading and validating "
        "the term files, checking the caches, linking, rendering each page's Markdown (to find it in the page cache), "
        "MathML, the graph pictures and the exports. G − C is what converting, highlighting and sanitising every "
        "term page costs. B − C is what running every snippet in its own isolated process costs; E − A is what "
        "running them inside the build costs.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "Regenerate this page with `.venv/bin/python benchmarks/build.py --write-page` "
        "(add `--large` for 10,000 terms), or from saved runs with `--from-json a.json b.json --write-page`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="glossary sizes (default 100 1000)")
    parser.add_argument("--large", action="store_true", help="also N = 10,000 (takes a long time)")
    parser.add_argument("--large-repeat", type=int, default=1, help="runs per case at N = 10,000 (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the median is reported (default 3)")
    parser.add_argument(
        "--large-skip", nargs="+", default=[], choices=["G", "E"], help="cases left out at N = 10,000 (G takes as long as F)"
    )
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it (for profiling)")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument("--write-page", action="store_true", help=f"rewrite {PAGE.relative_to(REPO)}")
    parser.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="measure nothing: report (and with --write-page, write the page) from runs saved with --json",
    )
    args = parser.parse_args()
    if args.from_json:
        report_saved(args.from_json, args.write_page)
        return
    sizes = sorted(set(args.sizes + ([10000] if args.large else [])))

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    before = code_fingerprint()
    large_skip = frozenset(args.large_skip)
    results = [
        measure(n, args.large_repeat if n >= 10000 else args.repeat, args.keep, progress, large_skip if n >= 10000 else frozenset())
        for n in sizes
    ]
    if code_fingerprint() != before:
        progress("warning: plugins/termbook changed while measuring: rerun for clean numbers")
    print(
        f"{os.cpu_count()} cores; runs per case, load average: "
        + ", ".join(f"{r['repeat']}, {min(r['load']):.1f}-{max(r['load']):.1f} at N={r['n']}" for r in results)
    )
    print(report(results))
    command = " ".join(["benchmarks/build.py", *shown_options(sys.argv[1:])])
    if args.json:
        saved = {"machine": machine(), "date": dt.date.today().isoformat(), "command": command, "results": results}
        args.json.write_text(json.dumps(saved, indent=1))
    if args.write_page:
        PAGE.write_text(page(results, [command]), encoding="utf-8")
        print(f"wrote {PAGE.relative_to(REPO)}")


def shown_options(argv: list[str]) -> list[str]:
    """The options that change the numbers, not where files went."""
    shown, skip = [], False
    for arg in argv:
        if skip or arg == "--write-page":
            skip = False
            continue
        if arg in ("--json", "--keep"):
            skip = True
            continue
        shown.append(arg)
    return shown


def report_saved(paths: list[Path], write: bool) -> None:
    """Merge runs saved with ``--json`` (one per size, say: N = 10,000 measured on its own)."""
    saved = [json.loads(p.read_text()) for p in paths]
    machines = {json.dumps(s["machine"], sort_keys=True) for s in saved}
    if len(machines) > 1:
        print("warning: the runs were made on different machines or code; the page shows the first", file=sys.stderr)
    by_n = {r["n"]: r for s in saved for r in s["results"]}
    results = [by_n[n] for n in sorted(by_n)]
    print(report(results))
    if write:
        commands = list(dict.fromkeys(s.get("command", "benchmarks/build.py") for s in saved))
        dates = sorted({s.get("date", "") for s in saved} - {""})
        date = " to ".join(dict.fromkeys([dates[0], dates[-1]])) if dates else None
        PAGE.write_text(page(results, commands, saved[0]["machine"], date), encoding="utf-8")
        print(f"wrote {PAGE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
