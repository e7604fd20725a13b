"""benchmarks/cnn.py's command line: its help and errors name the configurations."""

from __future__ import annotations

import importlib.util

import pytest

from authoring import book

_spec = importlib.util.spec_from_file_location(
    "cnn_bench", book.REPO_ROOT / "benchmarks" / "cnn.py"
)
cnn = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cnn)


def test_help_lists_every_configuration_name(capsys):
    with pytest.raises(SystemExit):
        cnn.main(["--help"])
    text = capsys.readouterr().out
    for _, name in cnn.CONFIGS:
        assert repr(name) in text


def test_a_misspelled_config_among_good_ones_is_an_error_that_lists_the_names(capsys):
    with pytest.raises(SystemExit) as stopped:
        cnn.main(["--config", "baseline", "--config", "headlnie"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "unknown --config 'headlnie'" in err and "'headline without dropout'" in err
    assert "leave --config out to run them all" in err


def test_a_config_not_defined_for_the_dataset_says_which_datasets_it_runs_on(capsys):
    with pytest.raises(SystemExit):
        cnn.main(["--dataset", "fashion-mnist", "--config", "headline without dropout"])
    err = capsys.readouterr().err
    assert "no configuration is defined for --dataset fashion-mnist" in err
    assert "'headline without dropout' (mnist)" in err
