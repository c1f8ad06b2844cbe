"""The pure-torch networks: architectures, shortcut placement and shapes."""

from __future__ import annotations

import pytest
import torch

from skirnet.nn import ARCHITECTURES, ResidualBlock, ResidualMLP, depth_of, parse_architecture


@pytest.mark.parametrize("depth", [10, 17, 24, 48])
def test_paper_depths_count_their_layers(depth):
    stacks = parse_architecture(depth)
    assert depth_of(stacks) == depth
    net = ResidualMLP(145, stacks, shortcut="none")
    assert sum(isinstance(m, torch.nn.Linear) for m in net.modules()) == depth


def test_architecture_table_matches_the_issue():
    assert ARCHITECTURES[17] == ((1024, 4), (512, 3), (256, 3), (128, 3), (64, 2), (32, 1))
    assert ARCHITECTURES[24][-1] == (16, 2)
    assert [w for w, _ in ARCHITECTURES[48]] == [
        1024,
        1024,
        512,
        512,
        256,
        256,
        128,
        128,
        64,
        64,
        32,
        16,
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("1024x4-512x3-256x3", ((1024, 4), (512, 3), (256, 3))),
        ("64", ((64, 1),)),
        ("64x2-64x2", ((64, 2), (64, 2))),
        ((32, 32, 16, 32), ((32, 2), (16, 1), (32, 1))),
        ([8], ((8, 1),)),
    ],
)
def test_parse_architecture(spec, expected):
    assert parse_architecture(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (11, "depth must be one of"),
        ("64x", "Cannot parse architecture group '64x'"),
        ("abc", "Cannot parse architecture group 'abc'"),
        ("64x0", "must be positive"),
        ((), "must not be empty"),
        (True, "Invalid architecture"),
    ],
)
def test_parse_architecture_rejects_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_architecture(spec)


def _count_skip_additions(net: ResidualMLP, x: torch.Tensor) -> int:
    calls = []
    hooks = [
        m.register_forward_hook(lambda *_: calls.append(1))
        for m in net.modules()
        if isinstance(m, ResidualBlock)
    ]
    net.eval()(x)
    for hook in hooks:
        hook.remove()
    return len(calls)


@pytest.mark.parametrize(
    ("shortcut", "expected"), [("individual", 47), ("stacked", 12), ("none", 0)]
)
def test_48_layer_nets_have_the_papers_skips(shortcut, expected):
    net = ResidualMLP(145, parse_architecture(48), shortcut=shortcut)
    assert _count_skip_additions(net, torch.randn(3, 145)) == expected
    assert net.n_skips == expected


def test_skip_is_identity_or_projection():
    net = ResidualMLP(10, parse_architecture("16x2-8"), shortcut="individual")
    blocks = [m for m in net.modules() if isinstance(m, ResidualBlock)]
    kinds = [type(b.shortcut).__name__ for b in blocks]
    # input 10 -> 16 projects, 16 -> 16 is the identity, 16 -> 8 projects
    assert kinds == ["Linear", "Identity", "Linear"]
    projection = blocks[0].shortcut
    assert (projection.in_features, projection.out_features) == (10, 16)


def test_skip_is_added_after_the_activation():
    # With the identity skip, output = relu(bn(linear(x))) + x, so it can be negative only
    # where x is: the activation comes before the addition.
    block = ResidualMLP(4, ((4, 1),), shortcut="individual").hidden[0]
    block.eval()
    x = -torch.ones(5, 4)
    out = block(x)
    relu_part = block.body(x)
    assert torch.all(relu_part >= 0)
    torch.testing.assert_close(out, relu_part + x)


def test_layer_unit_order_and_output_head():
    net = ResidualMLP(6, ((8, 1),), n_outputs=3, shortcut="none")
    unit = net.hidden[0][0]
    assert [type(m).__name__ for m in unit] == ["Linear", "BatchNorm1d", "ReLU"]
    assert isinstance(net.output, torch.nn.Linear) and net.output.out_features == 3
    assert net.eval()(torch.randn(2, 6)).shape == (2, 3)


def test_unknown_shortcut():
    with pytest.raises(ValueError, match="shortcut must be one of"):
        ResidualMLP(4, ((4, 1),), shortcut="dense")


def test_output_layer_stays_float32_under_autocast():
    torch.manual_seed(0)
    net = ResidualMLP(6, parse_architecture("16x2-8")).eval()
    x = torch.randn(5, 6)
    dtypes = []
    net.hidden[0].body[0][0].register_forward_hook(lambda m, i, out: dtypes.append(out.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = net(x)
        hidden = net.hidden(x)
    assert dtypes[0] == torch.bfloat16  # the hidden layers did run in bfloat16
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, net.output(hidden.float()), rtol=0, atol=0)
    assert net(x).dtype == torch.float32  # and nothing changes outside autocast


def test_forward_works_where_autocast_does_not():
    net = ResidualMLP(6, parse_architecture("16x2-8")).to("meta")
    assert net(torch.empty(4, 6, device="meta")).shape == (4, 1)
    double = ResidualMLP(6, parse_architecture("16x2-8")).double().eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert double(torch.randn(4, 6, dtype=torch.float64)).dtype == torch.float64
