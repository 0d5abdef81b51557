#include "core/gen/generator.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include "core/util/error.h"
#include "core/util/device.h"

namespace dfq {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

// The 4 taps, along `dim`, of the transposed convolution (stride 2, padding 1) equal to a
// nearest 2x upsampling followed by the 3-tap kernel w along `dim`: output p = 2i + a reads
// inputs i - 1 (w0) and i (w1 + w2) when a = 0, i (w0 + w1) and i + 1 (w2) when a = 1, and a
// transposed convolution gives out[p] = sum_r x[r] K[p + 1 - 2r], so K = [w2, w1 + w2, w0 + w1, w0].
torch::Tensor upsampling_taps(const torch::Tensor& w, int64_t dim) {
  const auto w0 = w.select(dim, 0), w1 = w.select(dim, 1), w2 = w.select(dim, 2);
  return torch::stack({w2, w1 + w2, w0 + w1, w0}, dim);
}

void check_options(const GeneratorOptions& o) {
  if (o.image_size % 4 != 0 || o.image_size < 8)
    throw InvalidInputError(fmt::format("generator image size must be a multiple of 4 (>= 8), got {}", o.image_size));
  if (o.latent_dim <= 0 || o.num_classes <= 0 || o.channels <= 0)
    throw InvalidInputError("generator needs positive latent_dim, classes and channels");
}

}  // namespace

torch::Tensor upsample2_conv3x3(const torch::Tensor& x, nn::Conv2d& conv) {
  const auto& w = conv->weight;  // [O, I, 3, 3]
  const auto& co = conv->options;
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&co.padding());
  TORCH_CHECK(w.dim() == 4 && w.size(2) == 3 && w.size(3) == 3 && co.stride()->at(0) == 1 &&
                  co.stride()->at(1) == 1 && co.dilation()->at(0) == 1 && co.dilation()->at(1) == 1 &&
                  co.groups() == 1 && pad && (*pad)->at(0) == 1 && (*pad)->at(1) == 1 &&
                  co.padding_mode().index() == 0,
              "upsample2_conv3x3 needs a 3x3 convolution with stride 1, zero padding 1, one group");
  const auto k = upsampling_taps(upsampling_taps(w, 2), 3).transpose(0, 1);  // [I, O, 4, 4]
  return F::conv_transpose2d(x, k, F::ConvTranspose2dFuncOptions().bias(conv->bias).stride(2).padding(1));
}

GDFQGeneratorImpl::GDFQGeneratorImpl(const GeneratorOptions& o) : opt_(o) {
  check_options(o);
  const int64_t s = o.image_size / 4;
  if (o.label_embedding) embedding = register_module("embedding", nn::Embedding(o.num_classes, o.latent_dim));
  fc = register_module("fc", nn::Linear(o.latent_dim, 128 * s * s));
  bn0 = register_module("bn0", nn::BatchNorm2d(128));
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(128, 128, 3).padding(1)));
  bn1 = register_module("bn1", nn::BatchNorm2d(nn::BatchNorm2dOptions(128).eps(o.bn_eps)));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(128, 64, 3).padding(1)));
  bn2 = register_module("bn2", nn::BatchNorm2d(nn::BatchNorm2dOptions(64).eps(o.bn_eps)));
  conv3 = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(64, o.channels, 3).padding(1)));
  bn_out = register_module("bn_out", nn::BatchNorm2d(nn::BatchNorm2dOptions(o.channels).affine(false)));
}

torch::Tensor GDFQGeneratorImpl::decode(const torch::Tensor& h) {
  const int64_t s = opt_.image_size / 4;
  auto x = bn0(fc(h).view({h.size(0), 128, s, s}));
  x = F::leaky_relu(bn1(upsample2_conv3x3(x, conv1)), F::LeakyReLUFuncOptions().negative_slope(0.2));
  x = F::leaky_relu(bn2(upsample2_conv3x3(x, conv2)), F::LeakyReLUFuncOptions().negative_slope(0.2));
  return bn_out(torch::tanh(conv3(x)));
}

torch::Tensor GDFQGeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  if (!embedding) throw Error("this generator trunk has no label embedding; feed it through decode()");
  return decode(embedding(labels) * z);
}

CategoricalConditionalBNImpl::CategoricalConditionalBNImpl(int64_t features, int64_t classes, double eps) {
  bn = register_module("bn", nn::BatchNorm2d(nn::BatchNorm2dOptions(features).eps(eps).affine(false)));
  gamma = register_module("gamma", nn::Embedding(classes, features));
  beta = register_module("beta", nn::Embedding(classes, features));
  nn::init::ones_(gamma->weight);
  nn::init::zeros_(beta->weight);
}

torch::Tensor CategoricalConditionalBNImpl::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  auto g = gamma(labels).unsqueeze(2).unsqueeze(3);
  auto b = beta(labels).unsqueeze(2).unsqueeze(3);
  return bn(x) * g + b;
}

ConditionalBNGeneratorImpl::ConditionalBNGeneratorImpl(const GeneratorOptions& o) : opt_(o) {
  check_options(o);
  const int64_t s = o.image_size / 4;
  fc = register_module("fc", nn::Linear(o.latent_dim, 128 * s * s));
  bn0 = register_module("bn0", CategoricalConditionalBN(128, o.num_classes, 1e-5));
  conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(128, 128, 3).padding(1)));
  bn1 = register_module("bn1", CategoricalConditionalBN(128, o.num_classes, o.bn_eps));
  conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(128, 64, 3).padding(1)));
  bn2 = register_module("bn2", CategoricalConditionalBN(64, o.num_classes, o.bn_eps));
  conv3 = register_module("conv3", nn::Conv2d(nn::Conv2dOptions(64, o.channels, 3).padding(1)));
  bn_out = register_module("bn_out", nn::BatchNorm2d(nn::BatchNorm2dOptions(o.channels).affine(false)));
}

torch::Tensor ConditionalBNGeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  const int64_t s = opt_.image_size / 4;
  auto x = bn0(fc(z).view({z.size(0), 128, s, s}), labels);
  x = F::leaky_relu(bn1(upsample2_conv3x3(x, conv1), labels), F::LeakyReLUFuncOptions().negative_slope(0.2));
  x = F::leaky_relu(bn2(upsample2_conv3x3(x, conv2), labels), F::LeakyReLUFuncOptions().negative_slope(0.2));
  return bn_out(torch::tanh(conv3(x)));
}

const std::vector<std::string>& generator_kinds() {
  static const std::vector<std::string> kinds = {"gdfq", "cbn"};
  return kinds;
}

Generator make_generator(const std::string& kind, const GeneratorOptions& o) {
  if (kind == "gdfq") return std::make_shared<GDFQGeneratorImpl>(o);
  if (kind == "cbn") return std::make_shared<ConditionalBNGeneratorImpl>(o);
  throw InvalidInputError(fmt::format("unknown generator '{}'; valid: {}", kind, fmt::join(generator_kinds(), ", ")));
}

QimeraGeneratorImpl::QimeraGeneratorImpl(const QimeraOptions& o) : opt_(o) {
  check_options(o.base);
  const auto& b = o.base;
  embedding = register_module("embedding", nn::Embedding(b.num_classes, b.latent_dim));
  if (o.init_embedding.defined()) {
    if (o.init_embedding.dim() != 2 || o.init_embedding.size(0) != b.num_classes ||
        o.init_embedding.size(1) != b.latent_dim)
      throw InvalidInputError(fmt::format("Qimera embedding init must be [{}, {}], got {}", b.num_classes,
                                          b.latent_dim, fmt::join(o.init_embedding.sizes(), "x")));
    torch::NoGradGuard ng;
    embedding->weight.copy_(o.init_embedding);
  }
  if (o.freeze_embedding) embedding->weight.set_requires_grad(false);
  GeneratorOptions t = b;
  t.label_embedding = false;
  if (o.dm) {
    mapping = register_module("mapping", nn::Linear(b.latent_dim, o.dm_dim));
    t.latent_dim = o.dm_dim;
  }
  trunk = register_module("trunk", std::make_shared<GDFQGeneratorImpl>(t));
}

torch::Tensor QimeraGeneratorImpl::normalize_codes(const torch::Tensor& h) {
  // BatchNorm1d(affine=false, no running stats) on h.T: biased variance, eps 1e-5.
  std::vector<int64_t> dims = h.dim() == 2 ? std::vector<int64_t>{1} : std::vector<int64_t>{0, 2};
  auto mean = h.mean(dims, true);
  auto var = (h - mean).pow(2).mean(dims, true);
  return (h - mean) / torch::sqrt(var + 1e-5);
}

torch::Tensor QimeraGeneratorImpl::codes(const torch::Tensor& z, const torch::Tensor& labels) {
  auto h = normalize_codes(embedding(labels) + opt_.noise_scale * z);
  return mapping ? mapping(h) : h;
}

torch::Tensor QimeraGeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  return trunk->decode(codes(z, labels));
}

torch::Tensor QimeraGeneratorImpl::forward_mixed(const torch::Tensor& z, const torch::Tensor& labels,
                                                 const torch::Tensor& weights) {
  auto h = codes(z, labels);  // [B, K, D']
  return trunk->decode((h * weights.unsqueeze(2)).sum(1));
}

torch::Tensor superposed_targets(const torch::Tensor& labels, const torch::Tensor& weights, int64_t classes) {
  return (torch::one_hot(labels, classes).to(weights.dtype()) * weights.unsqueeze(2)).sum(1);
}

Superposition draw_superposition(int64_t batch, int64_t k, int64_t classes, torch::Device device) {
  if (k < 1) throw InvalidInputError(fmt::format("superposition needs at least one label per sample, got {}", k));
  Superposition s;
  s.labels = randint_on(0, classes, {batch, k}, device);
  s.weights = torch::softmax(randn_on({batch, k}, device), 1);
  s.soft = superposed_targets(s.labels, s.weights, classes);
  return s;
}

}  // namespace dfq
