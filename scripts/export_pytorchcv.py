#!/usr/bin/env python3
"""Writes a pytorchcv model's pretrained weights in the form `dfq teacher import` reads.

Run it where pytorchcv is installed and can download its weights (pip install pytorchcv):
    python3 scripts/export_pytorchcv.py resnet20_cifar10 resnet20_cifar10.pt
then, in dfqbench:
    build/dfq teacher import --from resnet20_cifar10.pt --model resnet20 --dataset cifar10

LibTorch reads a plain dict of tensors; `model.state_dict()` is an OrderedDict, which
LibTorch 1.13 cannot read, so the weights are saved as dict(...) on the CPU.
"""
import argparse
import sys

NAMES = {  # pytorchcv name -> (dfq model, data set)
    "resnet20_cifar10": ("resnet20", "cifar10"),
    "resnet20_cifar100": ("resnet20", "cifar100"),
    "resnet18": ("resnet18", "imagenet"),
    "resnet50": ("resnet50", "imagenet"),
    "mobilenetv2_w1": ("mobilenetv2", "imagenet"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=sorted(NAMES), help="pytorchcv model name")
    parser.add_argument("out", help="output file (.pt)")
    args = parser.parse_args()
    try:
        import torch
        from pytorchcv.model_provider import get_model
    except ImportError as e:
        sys.exit(f"export_pytorchcv: {e}; install PyTorch and pytorchcv (pip install pytorchcv)")
    net = get_model(args.name, pretrained=True)
    net.eval()
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    torch.save(state, args.out)
    model, dataset = NAMES[args.name]
    print(f"wrote {len(state)} tensors to {args.out}; import with:\n"
          f"  build/dfq teacher import --from {args.out} --model {model} --dataset {dataset}")


if __name__ == "__main__":
    main()
