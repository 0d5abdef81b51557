#!/usr/bin/env python3
"""For tests/models/import_test.cpp: pytorchcv's architectures written here in plain PyTorch
with exactly pytorchcv's module names and shapes (osmr/imgclsmob
pytorch/pytorchcv/models/resnet_cifar.py CIFARResNet; resnet.py ResNet, ResInitBlock,
ResUnit, ResBlock, ResBottleneck (conv1_stride=True); mobilenetv2.py MobileNetV2,
LinearBottleneck; common.py ConvBlock = conv without bias + BatchNorm + activation), random
weights and BatchNorm statistics, saved as the plain dict scripts/export_pytorchcv.py
writes; plus their logits for a fixed input.

usage: pytorchcv_reference.py OUT_DIR ARCH CLASSES
  ARCH: resnet20, resnet32, resnet56 (3x32x32), resnet18, resnet50, mobilenetv2 (3x224x224)
writes OUT_DIR/state.pt (the state dict), OUT_DIR/state_ordered.pt (the same as an
OrderedDict, which LibTorch cannot read) and OUT_DIR/reference.pt ({"input", "logits"}).
"""
import collections
import sys

import torch
import torch.nn as nn


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, kernel, stride, act, groups=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act  # "relu", "relu6" or None

    def forward(self, x):
        x = self.bn(self.conv(x))
        if self.act == "relu":
            return torch.relu(x)
        if self.act == "relu6":
            return torch.clamp(x, 0.0, 6.0)
        return x


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = ConvBlock(cin, cout, 3, stride, "relu")
        self.conv2 = ConvBlock(cout, cout, 3, 1, None)

    def forward(self, x):
        return self.conv2(self.conv1(x))


class ResBottleneck(nn.Module):  # conv1_stride=True: the stride on the first 1x1 conv
    def __init__(self, cin, cout, stride):
        super().__init__()
        mid = cout // 4
        self.conv1 = ConvBlock(cin, mid, 1, stride, "relu")
        self.conv2 = ConvBlock(mid, mid, 3, 1, "relu")
        self.conv3 = ConvBlock(mid, cout, 1, 1, None)

    def forward(self, x):
        return self.conv3(self.conv2(self.conv1(x)))


class ResUnit(nn.Module):
    def __init__(self, cin, cout, stride, bottleneck):
        super().__init__()
        self.body = (ResBottleneck if bottleneck else ResBlock)(cin, cout, stride)
        self.resize = cin != cout or stride != 1
        if self.resize:
            self.identity_conv = ConvBlock(cin, cout, 1, stride, None)

    def forward(self, x):
        identity = self.identity_conv(x) if self.resize else x
        return torch.relu(self.body(x) + identity)


class ResInitBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = ConvBlock(3, 64, 7, 2, "relu")
        self.pool = nn.MaxPool2d(3, 2, 1)

    def forward(self, x):
        return self.pool(self.conv(x))


def stages_into(features, widths_per_stage, cin, bottleneck):
    for i, widths in enumerate(widths_per_stage):
        stage = nn.Sequential()
        for j, width in enumerate(widths):
            stage.add_module(f"unit{j + 1}", ResUnit(cin, width, 2 if (j == 0 and i != 0) else 1, bottleneck))
            cin = width
        features.add_module(f"stage{i + 1}", stage)
    return cin


class ResNet(nn.Module):
    def __init__(self, arch, classes):
        super().__init__()
        self.features = nn.Sequential()
        if arch in ("resnet20", "resnet32", "resnet56"):
            n = (int(arch[6:]) - 2) // 6
            self.features.add_module("init_block", ConvBlock(3, 16, 3, 1, "relu"))
            cin = stages_into(self.features, [[16] * n, [32] * n, [64] * n], 16, False)
            pool = 8
        elif arch == "resnet18":
            self.features.add_module("init_block", ResInitBlock())
            cin = stages_into(self.features, [[64] * 2, [128] * 2, [256] * 2, [512] * 2], 64, False)
            pool = 7
        else:  # resnet50
            self.features.add_module("init_block", ResInitBlock())
            cin = stages_into(self.features, [[256] * 3, [512] * 4, [1024] * 6, [2048] * 3], 64, True)
            pool = 7
        self.features.add_module("final_pool", nn.AvgPool2d(kernel_size=pool, stride=1))
        self.output = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.features(x)
        return self.output(x.view(x.size(0), -1))


class LinearBottleneck(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        mid = cin * 6 if expansion else cin
        self.residual = cin == cout and stride == 1
        self.conv1 = ConvBlock(cin, mid, 1, 1, "relu6")
        self.conv2 = ConvBlock(mid, mid, 3, stride, "relu6", groups=mid)
        self.conv3 = ConvBlock(mid, cout, 1, 1, None)

    def forward(self, x):
        y = self.conv3(self.conv2(self.conv1(x)))
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module("init_block", ConvBlock(3, 32, 3, 2, "relu6"))
        cin = 32
        for i, widths in enumerate([[16], [24, 24], [32, 32, 32], [64, 64, 64, 64, 96, 96, 96], [160, 160, 160, 320]]):
            stage = nn.Sequential()
            for j, width in enumerate(widths):
                stride = 2 if (j == 0 and i != 0) else 1
                stage.add_module(f"unit{j + 1}", LinearBottleneck(cin, width, stride, not (i == 0 and j == 0)))
                cin = width
            self.features.add_module(f"stage{i + 1}", stage)
        self.features.add_module("final_block", ConvBlock(cin, 1280, 1, 1, "relu6"))
        self.features.add_module("final_pool", nn.AvgPool2d(kernel_size=7, stride=1))
        self.output = nn.Conv2d(1280, classes, 1, bias=False)

    def forward(self, x):
        x = self.output(self.features(x))
        return x.view(x.size(0), -1)


def main():
    out, arch, classes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.manual_seed(0)
    net = MobileNetV2(classes) if arch == "mobilenetv2" else ResNet(arch, classes)
    with torch.no_grad():  # BatchNorm statistics that matter: not the 0 / 1 of a fresh layer
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    net.eval()
    size = 32 if arch in ("resnet20", "resnet32", "resnet56") else 224
    x = torch.randn(4 if size == 32 else 2, 3, size, size)
    with torch.no_grad():
        logits = net(x)
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    torch.save(state, f"{out}/state.pt")
    torch.save(collections.OrderedDict(net.state_dict()), f"{out}/state_ordered.pt")
    torch.save({"input": x, "logits": logits}, f"{out}/reference.pt")
    print(f"{arch}: {len(state)} tensors, {sum(v.numel() for k, v in state.items() if 'running' not in k and 'num_batches' not in k)} values")


if __name__ == "__main__":
    main()
