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

// Nearest-neighbour 2x upsampling followed by `conv` (3x3, stride 1, zero padding 1), as
// one transposed convolution (stride 2, padding 1) of the small input with a 4x4 kernel whose
// taps are sums of the 3x3 kernel's (generator.cpp, upsampling_taps). Equal to
// conv(upsample(x)) up to float rounding (the weight sums), with 16/36 of the multiply-adds
// and no 4x-sized upsampled tensor; gradients reach conv's own 3x3 weights and bias, so the
// parameters, their initialisation and the optimizer are the official generator's
// (xushoukai/GDFQ main.py, Generator.forward: nn.functional.interpolate(scale_factor=2), nearest,
// then nn.Conv2d(k, k, 3, stride=1, padding=1)).
torch::Tensor upsample2_conv3x3(const torch::Tensor& x, torch::nn::Conv2d& conv);

struct GeneratorOptions {
  int num_classes = 10;
  int latent_dim = 100;
  int image_size = 28;  // divisible by 4
  int channels = 1;
  double bn_eps = 0.8;
  bool label_embedding = true;  // false: a bare trunk fed by decode() (Qimera builds its own codes)
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

// Qimera's generator (Choi et al. NeurIPS 2021). Codes h = N(Emb(y) + s * z), N a
// BatchNorm1d without affine parameters or running statistics applied the way the
// official code applies it (on the transposed code: each sample's code is standardised
// over its features; for superposed codes [B, K, D], each of the K slots over (B, D));
// optionally a disentanglement mapping Linear(D -> dm_dim); then the GDFQ trunk.
// Superposition: x = trunk(sum_k w_k h_k) for K labels per sample with weights w.
struct QimeraOptions {
  GeneratorOptions base;       // base.latent_dim = D, the embedding width
  double noise_scale = 1.0;
  bool dm = false;             // disentanglement mapping (off in the shipped scripts)
  int dm_dim = 100;
  torch::Tensor init_embedding;  // [C, D] (e.g. the teacher's classifier weights); undefined: random
  bool freeze_embedding = false;
};

class QimeraGeneratorImpl : public GeneratorImpl {
 public:
  explicit QimeraGeneratorImpl(const QimeraOptions& o);
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  // z: [B, K, D], labels: [B, K], weights: [B, K] (rows sum to 1).
  torch::Tensor forward_mixed(const torch::Tensor& z, const torch::Tensor& labels, const torch::Tensor& weights);
  const GeneratorOptions& options() const override { return opt_.base; }
  // The per-slot normalisation, exposed for tests: [B, D] per sample over D; [B, K, D] per k over (B, D).
  static torch::Tensor normalize_codes(const torch::Tensor& h);

 private:
  QimeraOptions opt_;
  torch::nn::Embedding embedding{nullptr};
  torch::nn::Linear mapping{nullptr};
  std::shared_ptr<GDFQGeneratorImpl> trunk;
  torch::Tensor codes(const torch::Tensor& z, const torch::Tensor& labels);
};

// Qimera's superposed labels: K labels per sample drawn uniformly, weights softmax(randn(B, K)),
// soft label = sum_k w_k onehot(y_k) (rows sum to 1).
struct Superposition {
  torch::Tensor labels;   // int64 [B, K]
  torch::Tensor weights;  // [B, K]
  torch::Tensor soft;     // [B, C]
};
Superposition draw_superposition(int64_t batch, int64_t k, int64_t classes, torch::Device device = torch::kCPU);
torch::Tensor superposed_targets(const torch::Tensor& labels, const torch::Tensor& weights, int64_t classes);

// "gdfq" (default) or "cbn".
Generator make_generator(const std::string& kind, const GeneratorOptions& o);
// The kinds make_generator knows: gdfq, cbn.
const std::vector<std::string>& generator_kinds();

}  // namespace dfq
