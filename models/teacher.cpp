#include "models/teacher.h"

#include <fmt/format.h>
#include <torch/version.h>

#include <cmath>
#include <ctime>

#include "core/data/batch_loader.h"
#include "core/eval/accuracy.h"
#include "core/util/device.h"
#include "core/util/error.h"
#include "core/util/progress.h"
#include "core/util/rng.h"
#include "core/util/sha256.h"
#include "models/pytorchcv.h"
#include "models/state_dict.h"

namespace dfq {

namespace {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

// What every manifest says: the data set's shape, the model, how it was made and when.
TeacherManifest manifest_base(const std::string& dataset, const std::string& model, const DatasetInfo& info,
                              const std::string& command) {
  TeacherManifest m;
  m.dataset = dataset;
  m.model = model;
  m.in_channels = info.channels;
  m.num_classes = info.classes;
  m.image_size = info.size;
  m.command = command;
  m.torch_version = TORCH_VERSION;
  m.created_at = utc_now();
  return m;
}

TeacherManifest manifest_of(const TeacherOptions& o, const DatasetInfo& info, double test_top1, double val_top1,
                            double seconds) {
  TeacherManifest m = manifest_base(o.dataset, o.model, info, o.command);
  m.seed = o.seed;
  m.epochs = o.epochs;
  m.test_top1 = test_top1;
  m.val_top1 = val_top1;
  m.seconds = seconds;
  return m;
}

}  // namespace

TeacherResult train_teacher(const TeacherOptions& o) {
  if (o.epochs <= 0) throw InvalidInputError(fmt::format("--epochs must be positive, got {}", o.epochs));
  const auto data = load_dataset(o.dataset, o.data_root, o.val_size);
  const torch::Device device = parse_device(o.device);
  configure_determinism(device);
  seed_everything(o.seed);
  Net net = make_model({o.model, data.info.channels, data.info.classes, data.info.size});
  net->to(device);
  torch::optim::SGD opt(net->parameters(),
                        torch::optim::SGDOptions(o.lr).momentum(0.9).weight_decay(o.weight_decay).nesterov(true));
  BatchLoader loader(data.train, data.info, o.batch_size, /*shuffle=*/true, /*augment=*/true, o.seed,
                     device, /*drop_last=*/true);
  const int64_t per_epoch = loader.batches_per_epoch();
  const int64_t total = per_epoch * o.epochs;
  ProgressReporter progress(fmt::format("teacher {} on {}", o.model, o.dataset), total, "it");
  int64_t step = 0;
  double val_top1 = 0;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    net->train();
    loader.start_epoch(epoch);
    Batch b;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    while (loader.next(b)) {
      const double lr = 0.5 * o.lr * (1 + std::cos(M_PI * step / total));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
      auto logits = net->forward(b.x);
      auto loss = torch::nn::functional::cross_entropy(logits, b.y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>() * b.y.size(0);
      correct += count_topk(logits.detach(), b.y, 1);
      seen += b.y.size(0);
      ++step;
      progress.update(step, fmt::format("epoch {}/{} loss {:.4f} train {:.2f}% val {:.2f}%", epoch + 1, o.epochs,
                                        loss_sum / seen, 100.0 * correct / seen, val_top1));
    }
    net->eval();
    val_top1 = evaluate([&](const torch::Tensor& x) { return net->forward(x); }, data.val, data.info, kEvalBatch, device)
                   .top1;
  }
  net->eval();
  auto test = evaluate([&](const torch::Tensor& x) { return net->forward(x); }, data.test, data.info, kEvalBatch, device);
  progress.finish(fmt::format("test top-1 {:.2f}% val top-1 {:.2f}%", test.top1, val_top1));
  net->to(torch::kCPU);  // weights are saved and loaded on the CPU

  return {net, manifest_of(o, data.info, test.top1, val_top1, progress.elapsed_seconds())};
}

ImportResult import_teacher(const ImportOptions& o) {
  const auto& info = dataset_info(o.dataset);
  ImportResult r;
  r.net = make_model({o.model, info.channels, info.classes, info.size});
  load_pytorchcv_state(*r.net, read_state_dict(o.from));
  r.net->eval();
  r.manifest = manifest_base(o.dataset, o.model, info, o.command);
  auto& m = r.manifest;
  m.source = "pytorchcv state dict " + o.from;
  m.source_sha256 = sha256_file(o.from);
  m.test_top1 = m.val_top1 = -1;
  DataSplits data;
  try {
    data = load_dataset(o.dataset, o.data_root);
  } catch (const Error& e) {  // absent, or (ImageNet) not readable yet: imported, not evaluated
    r.data_missing = e.what();
    return r;
  }
  const Forward forward = [&](const torch::Tensor& x) { return r.net->forward(x); };
  m.test_top1 = evaluate(forward, data.test, data.info).top1;
  m.val_top1 = evaluate(forward, data.val, data.info).top1;
  return r;
}

}  // namespace dfq
