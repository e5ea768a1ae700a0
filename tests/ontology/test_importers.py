"""The importers regenerate their committed spec files byte for byte."""

from __future__ import annotations

import pytest
from switcheroo.ontology.tools import import_array_api, import_onnx
from switcheroo.ontology.tools.import_onnx import snake


def test_array_api_reproducible():
    pytest.importorskip("array_api_stubs")
    assert import_array_api.generate() == import_array_api.OUTPUT.read_text()


def test_onnx_reproducible():
    pytest.importorskip("onnx")
    text, notes = import_onnx.generate()
    assert text == import_onnx.OUTPUT.read_text()
    assert notes == []


def test_snake_case():
    assert snake("LeakyRelu") == "leaky_relu"
    assert snake("QLinearConv") == "q_linear_conv"
    assert snake("LSTM") == "lstm"
    assert snake("Col2Im") == "col2im"
    assert snake("ReduceL1") == "reduce_l1"


def test_array_api_spec_shape(onto):
    spec = onto.specs["fft"]
    assert spec.source == "array-api:fft"
    assert [a.name for a in spec.std_args] == ["x", "n", "axis", "norm"]
    assert onto.specs["concat"].onnx_name == "Concat"
