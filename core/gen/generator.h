// Generators of synthetic images (GDFQ design, Xu et al. ECCV 2020).
//  GDFQGenerator: z ~ N(0, I); h = Embedding(C, latent)(y) * z; Linear -> 128 x s x s
//    (s = size/4); BN(128); Upsample x2; Conv3x3 128->128; BN(128, eps); LeakyReLU(0.2);
//    Upsample x2; Conv3x3 128->64; BN(64, eps); LeakyReLU(0.2); Conv3x3 64->c; Tanh;
//    BN(c, affine=false). eps defaults to 0.8 (the original's quirk: momentum was meant).
//  ConditionalBNGenerator (ImageNet variant): same trunk from z alone, labels enter
//    through categorical conditional BatchNorm (per-class scale and shift).
#pragma once
#include <torch/torch.h>

namespace dfq {

struct GeneratorOptions {
  int num_classes = 10;
  int latent_dim = 100;
  int image_size = 28;  // divisible by 4
  int channels = 1;
  double bn_eps = 0.8;
};

class GeneratorImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) = 0;
  virtual const GeneratorOptions& options() const = 0;
};
using Generator = std::shared_ptr<GeneratorImpl>;

class GDFQGeneratorImpl : public GeneratorImpl {
 public:
  explicit GDFQGeneratorImpl(const GeneratorOptions& o);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  const GeneratorOptions& options() const override { return opt_; }
  // The trunk after the label conditioning, from a [B, latent] code (Qimera mixes codes).
  torch::Tensor decode(const torch::Tensor& h);
  torch::nn::Embedding embedding{nullptr};

 private:
  GeneratorOptions opt_;
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm2d bn0{nullptr}, bn1{nullptr}, bn2{nullptr}, bn_out{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
};

// BatchNorm without affine parameters followed by a per-class scale and shift.
class CategoricalConditionalBNImpl : public torch::nn::Module {
 public:
  CategoricalConditionalBNImpl(int64_t features, int64_t classes, double eps);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels);

 private:
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Embedding gamma{nullptr}, beta{nullptr};
};
TORCH_MODULE(CategoricalConditionalBN);

class ConditionalBNGeneratorImpl : public GeneratorImpl {
 public:
  explicit ConditionalBNGeneratorImpl(const GeneratorOptions& o);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  const GeneratorOptions& options() const override { return opt_; }

 private:
  GeneratorOptions opt_;
  torch::nn::Linear fc{nullptr};
  CategoricalConditionalBN bn0{nullptr}, bn1{nullptr}, bn2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn_out{nullptr};
};

// "gdfq" (default) or "cbn".
Generator make_generator(const std::string& kind, const GeneratorOptions& o);

}  // namespace dfq
