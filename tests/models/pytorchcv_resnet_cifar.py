#!/usr/bin/env python3
"""For tests/models/import_test.cpp: a CIFAR ResNet written here in plain PyTorch with exactly
the module names and shapes of pytorchcv's (pytorch/pytorchcv/models/resnet_cifar.py:
CIFARResNet, ResUnit, ResBlock; common.py: ConvBlock = conv without bias + BatchNorm +
ReLU), random weights and BatchNorm statistics, saved as the plain dict
scripts/export_pytorchcv.py writes; plus its logits for a fixed input.

usage: pytorchcv_resnet_cifar.py OUT_DIR [CLASSES] [DEPTH]
writes OUT_DIR/state.pt (the state dict), OUT_DIR/state_ordered.pt (the same as an
OrderedDict, which LibTorch cannot read) and OUT_DIR/reference.pt ({"input", "logits"}).
"""
import collections
import sys

import torch
import torch.nn as nn


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, kernel, stride, relu):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.relu else x


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBlock(cin, cout, 3, stride, True)
        self.conv2 = ConvBlock(cout, cout, 3, 1, False)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class ResUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.body = ResBlock(cin, cout, stride)
        self.resize = cin != cout or stride != 1
        if self.resize:
            self.identity_conv = ConvBlock(cin, cout, 1, stride, False)

    def forward(self, x):
        identity = self.identity_conv(x) if self.resize else x
        return torch.relu(self.body(x) + identity)


class CIFARResNet(nn.Module):
    def __init__(self, depth, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.features = nn.Sequential()
        self.features.add_module("init_block", ConvBlock(3, 16, 3, 1, True))
        cin = 16
        for i, width in enumerate([16, 32, 64]):
            stage = nn.Sequential()
            for j in range(n):
                stage.add_module(f"unit{j + 1}", ResUnit(cin, width, 2 if (j == 0 and i != 0) else 1))
                cin = width
            self.features.add_module(f"stage{i + 1}", stage)
        self.features.add_module("final_pool", nn.AvgPool2d(kernel_size=8, stride=1))
        self.output = nn.Linear(64, classes)

    def forward(self, x):
        x = self.features(x)
        return self.output(x.view(x.size(0), -1))


def main():
    out = sys.argv[1]
    classes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    torch.manual_seed(0)
    net = CIFARResNet(depth, classes)
    with torch.no_grad():  # BatchNorm statistics that matter: not the 0 / 1 of a fresh layer
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    net.eval()
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        logits = net(x)
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    torch.save(state, f"{out}/state.pt")
    torch.save(collections.OrderedDict(net.state_dict()), f"{out}/state_ordered.pt")
    torch.save({"input": x, "logits": logits}, f"{out}/reference.pt")


if __name__ == "__main__":
    main()
