"""Chunking provisions to fit every encoder.

Every provision and title in this file is FICTIONAL, written for the tests; the one
test on the real corpus reads it from $CTKB_CORPUS and copies nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.chunking import Chunk, chunk_provisions
from kb.embed import SentenceTransformerEncoder, UseEncoder
from kb.models import Provision

TITLE = "Fictional Anti-Trafficking Act"


class WordEncoder:
    """A stand-in encoder: one token per whitespace-separated word, plus two."""

    name = "words"
    model_id = "fictional-words@1"
    dimension = 1

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + 2


class BudgetedMiniLM:
    """The real MiniLM tokenizer with a smaller budget, so that short texts must split."""

    name = "minilm-small"
    model_id = "minilm-small@test"
    dimension = 384

    def __init__(self, minilm: SentenceTransformerEncoder, max_tokens: int) -> None:
        self.minilm, self.max_tokens = minilm, max_tokens

    def count_tokens(self, text: str) -> int:
        return self.minilm.count_tokens(text)

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        return self.minilm.count_tokens_batch(texts)


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def make_provisions(parts: list[str | tuple[str, list[str]]], *, lead: str = "Section 1. Offences\n",
                    offset: int = 10) -> tuple[str, list[Provision]]:
    """A document text and one top-level provision ``lead + parts``: a str part is plain
    text, a (text, [grandchildren]) part is a subsection with paragraphs."""
    body, children = lead, []
    with_children = len(parts) > 1 or not isinstance(parts[0], str)
    for n, part in enumerate(parts, 1):
        text, grand = (part, []) if isinstance(part, str) else part
        start = offset + len(body)
        body += text
        kids = []
        for k, g in enumerate(grand):
            body += "\n"
            kids.append((f"({chr(96 + k + 1)})", offset + len(body), g))
            body += g
        children.append((f"({n})", start, offset + len(body), kids))
        body += "\n"
    doc = "x" * offset + body
    top = Provision(id="s1", doc_id="fictional", kind="section", label="1", number="1", citation="Section 1",
                    heading="Offences", text=body, start=offset, end=offset + len(body), language="en")
    out = [top]
    for label, s, e, kids in children if with_children else []:
        out.append(Provision(id=f"s1{label}", doc_id="fictional", kind="subsection", label=label, number="1",
                             citation=f"Section 1{label}", text=doc[s:e], start=s, end=e, language="en",
                             parent_id="s1", depth=1))
        for glabel, gs, gtext in kids:
            out.append(Provision(id=f"s1{label}{glabel}", doc_id="fictional", kind="paragraph", label=glabel,
                                 number="1", citation=f"Section 1{label}{glabel}", text=gtext, start=gs,
                                 end=gs + len(gtext), language="en", parent_id=f"s1{label}", depth=2))
    return doc, out


def check_chunks(doc: str, provisions: list[Provision], chunks: list[Chunk], encoders) -> None:
    """Chunks are exact, ordered, disjoint slices covering every non-blank character of
    each top-level provision, and every embed_text fits every encoder."""
    for top in (p for p in provisions if p.parent_id is None):
        mine = [c for c in chunks if c.provision_id == top.id]
        assert [c.chunk for c in mine] == list(range(len(mine)))
        covered = set()
        last_end = top.start
        for c in mine:
            assert doc[c.start:c.end] == c.text == top.text[c.start - top.start:c.end - top.start]
            assert c.text == c.text.strip() and c.text
            assert top.start <= last_end <= c.start < c.end <= top.end
            assert c.embed_text.endswith(c.text)
            last_end = c.end
            covered.update(range(c.start, c.end))
        assert all(top.start + i in covered for i, ch in enumerate(top.text) if not ch.isspace())
    for c in chunks:
        for e in encoders:
            assert e.count_tokens(c.embed_text) <= e.max_tokens, (e.name, c)


SENTENCE = "A person who recruits a child for forced labour commits an offence."


def test_a_provision_that_fits_is_one_chunk_with_the_context_prefix():
    doc, provisions = make_provisions([SENTENCE, SENTENCE])
    chunks = chunk_provisions(provisions, TITLE, [WordEncoder(200)])
    assert len(chunks) == 1
    chunk = chunks[0]
    assert chunk.provision_id == "s1" and chunk.chunk == 0
    assert chunk.text == provisions[0].text.strip()
    assert chunk.embed_text == f"{TITLE} — Section 1 Offences: {chunk.text}"
    check_chunks(doc, provisions, chunks, [WordEncoder(200)])


def test_a_long_provision_is_cut_at_its_subsection_boundaries_first():
    parts = [f"({n}) {SENTENCE} {SENTENCE}" for n in range(1, 7)]
    doc, provisions = make_provisions(parts)
    encoder = WordEncoder(48)  # room for about two subsections with the prefix
    chunks = chunk_provisions(provisions, TITLE, [encoder])
    check_chunks(doc, provisions, chunks, [encoder])
    assert len(chunks) > 1
    starts = {p.start for p in provisions[1:]}
    # Every cut falls on a subsection start, never inside a subsection.
    assert all(c.start in starts for c in chunks[1:])
    assert all(c.provision_id == "s1" for c in chunks)


def test_a_subsection_too_long_alone_is_cut_at_its_paragraphs_then_its_sentences():
    long_para = " ".join(f"Sentence {i} of a fictional paragraph about victims." for i in range(12))
    doc, provisions = make_provisions([("(1) Where a person—", [f"(a) {long_para}", "(b) is a child."]),
                                       f"(2) {SENTENCE}"])
    encoder = WordEncoder(40)
    chunks = chunk_provisions(provisions, TITLE, [encoder])
    check_chunks(doc, provisions, chunks, [encoder])
    para_a = next(p for p in provisions if p.id == "s1(1)(a)")
    inside_a = [c for c in chunks if para_a.start <= c.start < para_a.end]
    assert len(inside_a) > 1
    assert all(re.match(r"(\(a\) )?Sentence \d+", c.text) for c in inside_a)


def test_a_sentence_too_long_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(120))
    doc, provisions = make_provisions([words])
    encoder = WordEncoder(30)
    chunks = chunk_provisions(provisions, TITLE, [encoder])
    check_chunks(doc, provisions, chunks, [encoder])
    assert len(chunks) >= 5
    # Cuts fall between words: the chunks' words are the provision's words, none broken.
    assert [w for c in chunks for w in c.text.split()] == provisions[0].text.split()


class CharEncoder(WordEncoder):
    """A stand-in encoder: one token per character (MiniLM reads a 100+ character word as a
    single [UNK], so a real tokenizer cannot force this case)."""

    def count_tokens(self, text: str) -> int:
        return len(text) + 2


def test_text_without_any_break_is_cut_between_characters():
    doc, provisions = make_provisions(["ab" * 100 + "e\u0301" * 50], lead="")
    encoder = CharEncoder(60)
    chunks = chunk_provisions(provisions, TITLE, [encoder])
    check_chunks(doc, provisions, chunks, [encoder])
    assert len(chunks) > 5
    assert not any(c.text.startswith("\u0301") for c in chunks)  # an accent stays on its letter


def test_a_long_title_is_left_out_of_the_prefix_to_leave_room_for_the_text():
    doc, provisions = make_provisions([SENTENCE])
    long_title = "Fictional " * 30 + "Act"
    chunks = chunk_provisions(provisions, long_title, [WordEncoder(40)])
    assert chunks[0].embed_text.startswith("Section 1 Offences: ")


def test_a_blank_provision_has_no_chunks():
    blank = Provision(id="b", doc_id="fictional", kind="section", label="2", number="2", citation="Section 2",
                      text="  \n ", start=0, end=4, language="en")
    assert chunk_provisions([blank], TITLE, [WordEncoder(10)]) == []


def test_chunking_is_deterministic():
    parts = [f"({n}) {SENTENCE} {SENTENCE}" for n in range(1, 9)]
    _, provisions = make_provisions(parts)
    first = chunk_provisions(provisions, TITLE, [WordEncoder(35)])
    again = chunk_provisions(list(reversed(provisions)), TITLE, [WordEncoder(35)])
    assert first == again


def test_every_chunk_fits_the_tightest_of_several_encoders(minilm):
    parts = [f"({n}) {SENTENCE} " * 3 for n in range(1, 6)]
    doc, provisions = make_provisions(parts)
    encoders = [minilm, WordEncoder(30), BudgetedMiniLM(minilm, 60)]
    chunks = chunk_provisions(provisions, TITLE, encoders)
    check_chunks(doc, provisions, chunks, encoders)


WORDS = st.sampled_from(["victim", "child", "labour", "Section", "3(1)", "trata", "víctima", "1591", "—",
                         "persons;", "offence.", "(a)", "supercalifragilisticexpialidocious", "\n", "\n\n"])


@st.composite
def fictional_provisions(draw):
    def text(max_words):
        return " ".join(draw(st.lists(WORDS, min_size=1, max_size=max_words)))

    n = draw(st.integers(1, 5))
    parts = [(text(40), [text(30) for _ in range(draw(st.integers(0, 3)))]) for _ in range(n)]
    return make_provisions(parts, lead=draw(st.sampled_from(["", "Section 1. Offences\n", "  \n"])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fictional_provisions(), st.integers(24, 120))
def test_property_chunks_fit_every_encoder_and_cover_the_provision_exactly(minilm, generated, budget):
    doc, provisions = generated
    encoders = [minilm, BudgetedMiniLM(minilm, budget)]
    chunks = chunk_provisions(provisions, TITLE, encoders)
    check_chunks(doc, provisions, chunks, encoders)


@pytest.mark.corpus
def test_real_provisions_fit_minilm_which_truncates_while_use_reads_any_length(corpus_dir, manifest, minilm):
    from indexing.clean import prepare
    from indexing.segment import segment

    checked = 0
    # A long English act with long sections and a Bengali act (MiniLM splits Bengali finely).
    for doc_id in ("zmb-ahta-2008", "bgd-psht-act-2012"):
        entry = manifest[doc_id]
        _, clean = prepare(corpus_dir / entry["path"])
        seg = segment(clean, doc_id=doc_id, doc_sha256=entry["sha256"], language=entry["language"])
        use = UseEncoder()
        assert not use.truncates and minilm.truncates
        chunks = chunk_provisions(seg.provisions, entry["title"], [minilm, use])
        check_chunks(clean.text, seg.provisions, chunks, [minilm])  # USE bounds nothing: it averages any length
        assert len(chunks) >= len(seg.top_level)
        checked += 1
    assert checked == 2


def test_an_encoder_that_reads_any_length_does_not_bound_chunks():
    class ReadsAnyLength(WordEncoder):
        truncates = False

    doc, provisions = make_provisions([f"{SENTENCE} " * 4])
    chunks = chunk_provisions(provisions, TITLE, [WordEncoder(400), ReadsAnyLength(12)])
    assert len(chunks) == 1 and len(chunks[0].embed_text.split()) > 12
    only_soft = chunk_provisions(provisions, TITLE, [ReadsAnyLength(12)])  # none truncates: it bounds chunks
    assert len(only_soft) > 1
