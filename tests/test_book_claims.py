"""The chapters state results only where the run computes them, and their sources wrap at 88 characters.

Issue 18. A chapter's markdown may say *what to look at* and *how to read it*; a result of the run (an
AUC, a comparison between methods) must come from a code cell, an f-string whose words are chosen by the
numbers, so that the page stays true on another profile, seed or dataset. Every figure or table is
followed by such prose. Code must read without horizontal scrolling in the rendered column.

The claim check reads each markdown cell sentence by sentence (code spans, link targets and emphasis
removed) and flags a sentence that holds an AUC-like number (0.9, .95) or a percentage, or a word that
compares or judges an outcome (beats, higher, falls, rises, helps, same order, …) within WINDOW words of
a method or metric name (MF-bias, skip-gram, popularity, AUC, precision, curve, …). A sentence is not a
claim about this run when it is a question, names the original project as its source ("The original
reported…", "in the original"), reads conditionally ("Where one curve runs above another, …") or is true
by construction. Settings and definitions that must appear as numbers are listed in ALLOWED, each with
its reason. A sentence with neither a number nor a name ("the offset has gone negative") passes: review
still matters.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Chapters whose markdown is checked for fixed claims and whose figures and tables must be read.
CLAIM_CHAPTERS = ("book/part1_matrix_factorization.py", "book/part2_graph_nlp.py", "book/results.py",
                  "book/scaling.py", "book/data.py")
#: Chapters wrapped at MAX_LINE: every chapter.
WRAPPED_CHAPTERS = CLAIM_CHAPTERS
MAX_LINE = 88

# --- What counts as a claim --------------------------------------------------------------------------------

#: Method and metric names: a comparison word near one of them states an outcome.
NAMES = re.compile(r"""(?<![\w@-])(?:
    MF(?:-bias)? | [Mm]atrix\ factori[sz]ation | [Ww]ord2vec | [Ss]kip-grams? | SGNS | CBOW | gensim
    | [Nn]ode2[Vv]ec | DeepWalk | first-order | E?GES | [Ss]ide\ information | [Cc]old\ start
    | [Pp]opularity | [Pp]referential\ attachment | [Cc]ommon\ neighbours | Jaccard | Adamic-Adar | item\ kNN
    | [Hh]euristics? | [Tt]he\ (?:fixed|original)\ recipe | [Ff]aithful | [Cc]ontinuous | [Bb]inary
    | [Rr]egression | [Cc]lassification | [Oo]urs | (?:[Tt]he|[Oo]ur|[Ee]very|[Ee]ach)\ models? | [Ee]mbeddings
    | (?:ROC-|seen-)?AUCs? | ROC | [Pp]recision | [Rr]ecall(?:@\w+)? | NDCG(?:@\w+)? | [Cc]urves? | [Aa]ccuracy
)(?![\w-])""", re.VERBOSE)

#: Words and phrases that compare or judge an outcome.
COMPARISONS = re.compile(r"""(?<![\w-])(?:
    higher | highest | lower | lowest | beats? | beaten | beating | better | best | worse | worst
    | wins? | won | winning | winner | helps? | helped | helping | hurts? | hurting | falls? | fell | falling
    | rises? | rose | rising | climbs? | climbed | climbing | drops? | dropped | outperform\w*
    | (?:above|below)(?!\s*[:;,.)])  # not "the table below:"
    | ahead | behind | exceeds? | exceeded | trails? | trailed | improves? | improved | lifts? | lifted
    | stronger | strongest | strong | weaker | weakest | weak | flat | steep | steeply | faster | slower
    | (?:more|less)\ (?:slowly|quickly) | same\ order | far\ above | near\ chance | at\ chance | coin\ toss
    | wide\ margin | level\ with | on\ par | competes? | contender | dominates? | loses? | lost | gains? | gained
)(?![\w-])""", re.VERBOSE | re.IGNORECASE)

#: How many words may separate a comparison from the name it judges.
WINDOW = 8

#: AUC-like numbers (0.9, 0.95, .8) and percentages; a number right after ^ is an exponent.
NUMBERS = re.compile(r"(?<![\w.^])(?:0?\.\d+(?![\d.]*\w)|\d+(?:\.\d+)?\s?%)")

#: Sentences that are not this run's outcome: questions, the original's own findings and settings (the
#: sentence names the original as its source), how-to-read conditionals, and statements true by
#: construction.
ATTRIBUTED = re.compile(
    r"^(?:the original|in the original|following the original|as in the original|the author)\b"
    r"(?!'s recipe|\s+recipe)"
    r"|\b(?:in|as in|following|like) the original\b(?!'s)"
    r"|\bthe original(?:'s)?\s+(?:\S+\s+){0,3}?(?:reported|published|found|measured|saw|claimed|called)\b",
    re.IGNORECASE)
CONDITIONAL = re.compile(r"^(?:where|wherever|if|when|whether)\b", re.IGNORECASE)
DEFINITIONAL = re.compile(r"\bby (?:construction|definition)\b", re.IGNORECASE)

#: Phrases that look like claims but are settings or definitions; each with its reason. A phrase is
#: exempt wherever it occurs, so keep each one narrow.
ALLOWED = {
    r"σ\(0\) = 0\.5": "the sigmoid of 0: a definition",
    r"Adam at 0\.01": "the original's optimiser and learning rate: its settings",
    r"0\.01, stuck at 0": "the original's learning rate in the recipe table (bug B1)",
    r"(?:from|learning rate) 0\.025": "word2vec's initial learning rate: a setting",
    r"(?:get|gets|gives its pairs) the lowest score": "the book's rule for unseen products",
}


def sentences(markdown: str) -> list[str]:
    """The prose of a markdown cell, one sentence per item: code spans, link targets and emphasis removed;
    headings, list items and table cells end a sentence."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    text = re.sub(r"`[^`]*`", "CODE", text)  # names and values in code are not prose
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)  # images
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"<[^>]+>|\*", "", text)
    for short, long in (("e.g.", "for example"), ("i.e.", "that is"), ("vs.", "versus"), ("etc.", "and so on")):
        text = text.replace(short, long)
    blocks, current = [], []
    for line in text.splitlines():
        line = line.strip()
        item = re.match(r"(?:#+|[-+]|\d+\.)\s+", line)
        if not line or item or line.startswith("|"):
            blocks.append(" ".join(current))
            current = []
        if line.startswith("|"):
            blocks += [cell for cell in line.strip("|").split("|") if not re.fullmatch(r"\s*:?-+:?\s*", cell)]
        elif line:
            current.append(line[item.end():] if item else line)
    blocks.append(" ".join(current))
    return [s.strip() for block in blocks for s in re.split(r"(?<=[.!?])\s+(?=[^a-z])", block) if s.strip()]


def claim(sentence: str) -> str | None:
    """Why ``sentence`` states a result of the run (None when it does not)."""
    if (sentence.endswith("?") or ATTRIBUTED.search(sentence) or CONDITIONAL.match(sentence)
            or DEFINITIONAL.search(sentence)):
        return None
    text = sentence
    for phrase in ALLOWED:
        text = re.sub(phrase, " ", text)
    number = NUMBERS.search(text)
    if number:
        return f"a number ({number.group()!r})"

    def word(offset: int) -> int:
        return len(text[:offset].split())

    names = [(word(m.start()), m.group()) for m in NAMES.finditer(text)]
    for comparison in COMPARISONS.finditer(text):
        at = word(comparison.start())
        near = [name for position, name in names if abs(position - at) <= WINDOW]
        if near:
            return f"{comparison.group()!r} next to {near[0]!r}"
    return None


def claims(markdown: str) -> list[str]:
    return [f"{sentence}  <- {why}" for sentence in sentences(markdown) if (why := claim(sentence))]


def markdown_cells(chapter: str) -> list[str]:
    return [cell.source for cell in jupytext.read(ROOT / chapter).cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("chapter", CLAIM_CHAPTERS)
def test_markdown_states_no_result_of_the_run(chapter):
    found = [c for source in markdown_cells(chapter) for c in claims(source)]
    assert not found, f"{chapter}: results stated in markdown; compute them in a code cell:\n" + "\n".join(found)


PLANTED = [
    "Precision falls only at the far right.",
    "The curves rise steeply in the first epoch.",
    "MF-bias beats plain MF on seen pairs.",
    "Skip-gram reaches an AUC of 0.95 here.",
    "Both models end near .8 on the degree-matched negatives.",
    "Popularity is a strong contender on uniform negatives.",
    "Side information helps the products with few edges.",
    "node2vec and DeepWalk come out in the same order as in Part 1.",
    "CBOW trails skip-gram after five epochs.",
    "The fixed recipe recommends 40 % of the true pairs.",
]

NOT_CLAIMS = [
    "The original reported that continuous labels beat binary ones by a wide margin.",
    "In the original, every restart threw the curve far back down.",
    "Does regression on weights beat classification, as in the original?",
    "If a curve is still rising at the last epoch end, more epochs would help it.",
    "Where negatives are seen less often than positives, scoring unseen pairs low is rewarded.",
    "Against degree-matched negatives popularity is at chance by construction.",
    "Every validation pair containing such a product then scored σ(0) = 0.5 exactly.",
    "Compare the two dotted lines: they are the learning rates.",
    "Negatives are drawn in proportion to degree^0.75.",
    "Set `LR = 0.02` and `AUC > 0.9` in code: code spans are not prose.",
]


@pytest.mark.parametrize("sentence", PLANTED)
def test_the_check_catches_a_planted_claim(sentence):
    assert claims(sentence), sentence


@pytest.mark.parametrize("sentence", NOT_CLAIMS)
def test_the_check_lets_readings_attributions_and_definitions_pass(sentence):
    assert not claims(sentence), claims(sentence)


def test_the_original_recipe_is_no_attribution():
    assert claims("The original recipe scores 0.5 here.")


def test_a_claim_planted_in_a_chapter_is_found_among_its_cells():
    sources = markdown_cells(CLAIM_CHAPTERS[1])
    planted = sources[5].rstrip() + "\n\nThe skip-gram curves rise steeply and end far above MF.\n"
    found = [c for source in [*sources[:5], planted, *sources[6:]] for c in claims(source)]
    assert len(found) == 1 and found[0].startswith("The skip-gram curves rise steeply"), found


# --- Every figure and table is read ------------------------------------------------------------------------


def shows(cell) -> bool:
    """Whether a code cell's last statement is a value the notebook displays (a figure, a table, …)."""
    body = ast.parse(cell.source).body if cell.cell_type == "code" and cell.source.strip() else []
    last = body[-1] if body else None
    return (isinstance(last, ast.Expr) and not (isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name) and last.value.func.id in ("print", "Markdown")))


def is_prose(cell) -> bool:
    """A markdown cell that opens with text (not a heading), or a code cell that only prints or shows Markdown."""
    if cell.cell_type == "markdown":
        return not cell.source.lstrip().startswith("#")
    return not shows(cell) and re.search(r"\b(?:print|Markdown)\(", cell.source) is not None


@pytest.mark.parametrize("chapter", CLAIM_CHAPTERS)
def test_every_figure_and_table_is_followed_by_prose(chapter):
    cells = [c for c in jupytext.read(ROOT / chapter).cells if "remove-cell" not in c.metadata.get("tags", [])]
    unread = [cell.source.strip().splitlines()[-1]
              for cell, following in zip(cells, [*cells[1:], None], strict=True)
              if shows(cell) and (following is None or not is_prose(following))]
    assert not unread, f"{chapter}: no prose after the output of:\n" + "\n".join(unread)


# --- Line length ------------------------------------------------------------------------------------------


def overlong(line: str) -> bool:
    """Longer than MAX_LINE, except cell markers (a `# %%` line holds the cell's metadata, e.g. the nbmake
    mock, and cannot be wrapped) and a line that ends in a URL starting within the limit."""
    if len(line) <= MAX_LINE or line.startswith("# %%"):
        return False
    url = re.search(r"https?://\S+?[)\]>.,]*$", line)
    return url is None or url.start() >= MAX_LINE


def test_the_line_check_exempts_only_cell_markers_and_trailing_urls():
    assert overlong("x = " + "1 + " * 22 + "1")  # 93 characters of code
    assert overlong("# " + "word " * 18)  # a long comment or markdown line
    assert not overlong('# %% tags=["parameters"] nbmake={"mock": {"PROFILE": "ci", "N_PRODUCTS": 2000, "X": 1}}')
    assert not overlong("# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                        "(https://colab.research.google.com/github/o/r/blob/main/book/chapter.ipynb)")
    assert overlong("# " + "word " * 20 + "https://example.org")  # the URL starts beyond the limit


@pytest.mark.parametrize("chapter", WRAPPED_CHAPTERS)
def test_book_sources_wrap_at_88_characters(chapter):
    lines = (ROOT / chapter).read_text(encoding="utf-8").splitlines()
    long = [f"{n}: {line}" for n, line in enumerate(lines, 1) if overlong(line)]
    assert not long, f"{chapter}: {len(long)} lines over {MAX_LINE} characters:\n" + "\n".join(long)
