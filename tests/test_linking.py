"""The linker as a pure function: text in, text with links and the linked slugs out."""

from __future__ import annotations

from pathlib import Path

import pytest
from termbook.linking import Linker, backlinks, link_term, phrases_of, plural
from termbook.model import Term, TermData


def make(slug, name, aliases=(), related=(), plurals=(), no_autolink=(), **prose):
    data = TermData(
        term=name,
        summary=f"{name} summary.",
        definition=prose.pop("definition", f"{name} is a thing."),
        aliases=list(aliases),
        related=list(related),
        plurals=list(plurals),
        no_autolink=list(no_autolink),
        **prose,
    )
    return Term(slug=slug, path=Path(f"terms/{slug}.yml"), data=data)


TERMS = [
    make("gradient-descent", "Gradient Descent", aliases=["GD", "steepest descent"]),
    make("stochastic-gradient-descent", "Stochastic Gradient Descent", aliases=["SGD"]),
    make("batch-normalization", "Batch Normalization", aliases=["BN", "BatchNorm"]),
    make("generative-adversarial-network", "Generative Adversarial Network", aliases=["GAN"]),
    make("activation-function", "Activation Function", aliases=["activation"], no_autolink=["activation map"]),
    make("attention", "Attention"),
    make("transformer", "Transformer", aliases=["self-attention"]),
    make("dropout", "Dropout"),
    make("autoencoder", "Autoencoder"),
    make("mini-batch", "Mini-batch", plurals=["minibatches"]),
    make("k-means", "k-Means Clustering", aliases=["k-means"]),
]
LINKER = Linker(TERMS)


def link(text, self_slug="dropout"):
    result = LINKER.link(text, self_slug)
    return result.text, result.targets


def L(text, slug):
    return f'[{text}]({slug}.md "{LINKER.targets[slug].summary}")'


CASES = [
    ("plain mention", "We use gradient descent here.", f"We use {L('gradient descent', 'gradient-descent')} here."),
    ("case-insensitive words", "Gradient Descent works.", f"{L('Gradient Descent', 'gradient-descent')} works."),
    (
        "longest match wins",
        "Stochastic gradient descent is noisy.",
        f"{L('Stochastic gradient descent', 'stochastic-gradient-descent')} is noisy.",
    ),
    ("first mention only", "dropout? No: BN and BN again.", f"dropout? No: {L('BN', 'batch-normalization')} and BN again."),
    ("acronym exact", "bn is not BN", f"bn is not {L('BN', 'batch-normalization')}"),
    ("acronym not inside word", "An organ, a GAN.", f"An organ, a {L('GAN', 'generative-adversarial-network')}."),
    ("acronym plural", "Two GANs.", f"Two {L('GANs', 'generative-adversarial-network')}."),
    ("regular plural", "Stacked autoencoders.", f"Stacked {L('autoencoders', 'autoencoder')}."),
    ("plural of phrase", "Several activation functions.", f"Several {L('activation functions', 'activation-function')}."),
    ("irregular plural", "Use minibatches.", f"Use {L('minibatches', 'mini-batch')}."),
    ("hyphenated term", "Each mini-batch.", f"Each {L('mini-batch', 'mini-batch')}."),
    (
        "hyphen hides inner word",
        "Self-attention, not attention.",
        f"{L('Self-attention', 'transformer')}, not {L('attention', 'attention')}.",
    ),
    ("no self link", "Dropout and dropout.", "Dropout and dropout."),
    ("inline code", "Call `dropout` or `BN`.", "Call `dropout` or `BN`."),
    ("fenced code", "```python\nbn = BN()\n```\nBN", f"```python\nbn = BN()\n```\n{L('BN', 'batch-normalization')}"),
    ("inline math", "With $GD$ we mean GD.", f"With $GD$ we mean {L('GD', 'gradient-descent')}."),
    ("display math", "$$\\text{BN}(x)$$ is BN.", f"$$\\text{{BN}}(x)$$ is {L('BN', 'batch-normalization')}."),
    ("heading", "## Batch Normalization\nBN", f"## Batch Normalization\n{L('BN', 'batch-normalization')}"),
    ("existing link", "[batch norm](https://x.org/BN) BN", f"[batch norm](https://x.org/BN) {L('BN', 'batch-normalization')}"),
    ("bare url", "See https://example.org/gradient-descent.", "See https://example.org/gradient-descent."),
    ("file name", "Open autoencoder.py now.", "Open autoencoder.py now."),
    ("path", "snippets/autoencoder here", "snippets/autoencoder here"),
    (
        "no_autolink phrase",
        "The activation map, then the activation.",
        f"The activation map, then the {L('activation', 'activation-function')}.",
    ),
    ("possessive", "Transformer's heads.", f"{L('Transformer', 'transformer')}'s heads."),
    ("phrase across punctuation", "gradient, descent", "gradient, descent"),
    ("phrase across newline", "batch\nnormalization", L("batch\nnormalization", "batch-normalization")),
    ("explicit wiki link", "See [[autoencoder]].", f"See {L('Autoencoder', 'autoencoder')}."),
    ("explicit wiki link with text", "See [[autoencoder|AEs]].", f"See {L('AEs', 'autoencoder')}."),
    ("explicit slug link", "See [this](autoencoder).", f"See {L('this', 'autoencoder')}."),
    ("explicit link counts as first", "[[autoencoder]] then autoencoder.", f"{L('Autoencoder', 'autoencoder')} then autoencoder."),
    ("mixed-case alias", "A batchnorm layer.", f"A {L('batchnorm', 'batch-normalization')} layer."),
    ("k-means", "Run k-means.", f"Run {L('k-means', 'k-means')}."),
]


@pytest.mark.parametrize("text,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_link(text, expected):
    assert link(text)[0] == expected


def test_targets_in_order_without_duplicates():
    _, targets = link("BN, GD, [[autoencoder]], BN again, gradient descent.")
    assert targets == ["batch-normalization", "gradient-descent", "autoencoder"]


def test_unknown_explicit_link_is_a_problem_with_a_hint():
    result = LINKER.link("See [[autoencodr]] and [x](dropuot).", "attention", file="terms/attention.yml", field="definition", line=3)
    assert [(p.message, p.hint) for p in result.problems] == [
        ("link [[autoencodr]] points to unknown term 'autoencodr'", "did you mean 'autoencoder'?"),
        ("link (dropuot) points to unknown term 'dropuot'", "did you mean 'dropout'?"),
    ]
    assert result.problems[0].location() == "terms/attention.yml:3"
    assert "autoencodr" in result.text  # the text stays readable


def test_tooltips_escape_quotes():
    terms = [make("a-b", "Quoted"), make("c", "Other")]
    terms[0] = Term("a-b", Path("x"), terms[0].data.model_copy(update={"summary": 'Says "hi".'}))
    assert Linker(terms).link("quoted", "c").text == '[quoted](a-b.md "Says &quot;hi&quot;.")'


def test_a_retargeted_linker_shows_the_new_summaries_and_leaves_the_old_one_as_it_was():
    terms = [make("a-b", "Quoted"), make("c", "Other")]
    old = Linker(terms)
    edited = Term("a-b", Path("x"), terms[0].data.model_copy(update={"summary": "Said again."}))

    new = old.retargeted([edited])

    assert new.link("quoted", "c").text == '[quoted](a-b.md "Said again.")'
    assert old.link("quoted", "c").text == '[quoted](a-b.md "Quoted summary.")'


@pytest.mark.parametrize(
    "word,expected",
    [
        ("autoencoder", "autoencoders"),
        ("loss", "losses"),
        ("batch", "batches"),
        ("entropy", "entropies"),
        ("activation function", "activation functions"),
        ("GAN", "GANs"),
        ("key", "keys"),
    ],
)
def test_plural(word, expected):
    assert plural(word) == expected


def test_phrases_drive_linking_and_search():
    assert phrases_of(TERMS[2]) == ["Batch Normalization", "BN", "BatchNorm", "Batch Normalizations", "BNs", "BatchNorms"]


def test_sections_link_independently_and_backlinks_include_prose():
    bn = make("batch-normalization", "Batch Normalization", related=["dropout"], definition="Unlike dropout.", example="Dropout again.")
    terms = [bn, make("dropout", "Dropout"), make("autoencoder", "Autoencoder", definition="Uses BatchNorm? No: batch normalization.")]
    linker = Linker(terms)
    linked, problems = link_term(bn, linker)
    assert problems == []
    assert linked.fields["definition"].startswith("Unlike [dropout](dropout.md")
    assert linked.fields["example"].startswith("[Dropout](dropout.md")  # a new section links again
    auto, _ = link_term(terms[2], linker)
    incoming = backlinks(terms, {"batch-normalization": linked.targets, "autoencoder": auto.targets})
    assert [t.slug for t in incoming["dropout"]] == ["batch-normalization"]
    assert [t.slug for t in incoming["batch-normalization"]] == ["autoencoder"]
