// dfq teacher: trains a full-precision teacher and saves it to the zoo.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "models/teacher.h"
#include "models/zoo.h"
#include "reports/report.h"

namespace dfq {

namespace {

CLI::App* add_import_command(CLI::App& teacher, Cli& cli) {
  auto* cmd = teacher.add_subcommand(
      "import",
      "import pretrained weights with pytorchcv's names (the official code's teachers; made by "
      "scripts/export_pytorchcv.py) into the zoo, checking every shape, and evaluate them when the data set is "
      "present");
  auto o = std::make_shared<ImportOptions>();
  auto zoo = std::make_shared<std::string>(default_zoo_dir());
  cmd->add_option("--from", o->from, "the state dict file (a plain dict of tensors)")->required();
  cmd->add_option("--model", o->model, "architecture (resnet20, resnet32, resnet56, resnet18, resnet50, mobilenetv2)")->required();
  cmd->add_option("--dataset", o->dataset, "the data set it was trained on (cifar10, cifar100, imagenet)")->required();
  cmd->add_option("--data-root", o->data_root, "data folder for the evaluation (default: the data set's default)");
  cmd->add_option("--zoo", *zoo, "zoo folder")->capture_default_str();
  cmd->callback([&cli, o, zoo] {
    cli.run([&] {
      o->command = cli.global.command_line;
      auto r = import_teacher(*o);
      save_teacher(r.net, r.manifest, *zoo);
      fmt::print("imported {} as {}\n", o->from, teacher_weights_path(*zoo, o->dataset, o->model));
      const auto fp = published_fp(load_published(default_published_path()), o->dataset, o->model);
      const std::string paper = fp ? fmt::format("{:.2f}%", fp->top1) : "none";
      if (r.data_missing.empty())
        fmt::print("  test top-1 {:.2f}% (published full precision: {}), val top-1 {:.2f}%\n", r.manifest.test_top1,
                   paper, r.manifest.val_top1);
      else
        fmt::print("  not evaluated: {}\n  (published full precision: {})\n", r.data_missing, paper);
      return 0;
    });
  });
  return cmd;
}

}  // namespace

void add_teacher_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("teacher",
                                 "train a full-precision teacher and save it to the zoo (`teacher import`: bring a "
                                 "pretrained one)");
  auto o = std::make_shared<TeacherOptions>();
  auto zoo = std::make_shared<std::string>(default_zoo_dir());
  cmd->add_option("--model", o->model, "architecture")->capture_default_str();
  cmd->add_option("--dataset", o->dataset, "data set")->capture_default_str();
  cmd->add_option("--data-root", o->data_root, "data folder (default: the data set's default)");
  cmd->add_option("--epochs", o->epochs, "training epochs")->capture_default_str();
  cmd->add_option("--batch", o->batch_size, "batch size")->capture_default_str();
  cmd->add_option("--lr", o->lr, "initial learning rate (cosine decay)")->capture_default_str();
  cmd->add_option("--wd", o->weight_decay, "weight decay")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed")->capture_default_str();
  cmd->add_option("--zoo", *zoo, "zoo folder")->capture_default_str();
  auto* import = add_import_command(*cmd, cli);
  cmd->callback([&cli, o, zoo, import] {
    if (import->parsed()) return;  // `dfq teacher import`: its own callback ran
    cli.run([&] {
      o->command = cli.global.command_line;
      if (!cli.global.device.empty()) o->device = cli.global.device;
      auto result = train_teacher(*o);
      save_teacher(result.net, result.manifest, *zoo);
      fmt::print("saved {} (test top-1 {:.2f}%, val top-1 {:.2f}%, {:.0f} s)\n",
                 teacher_weights_path(*zoo, o->dataset, o->model), result.manifest.test_top1,
                 result.manifest.val_top1, result.manifest.seconds);
      return 0;
    });
  });
}

}  // namespace dfq
