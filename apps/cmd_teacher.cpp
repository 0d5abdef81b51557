// dfq teacher: trains a full-precision teacher and saves it to the zoo.
#include <fmt/format.h>

#include <memory>

#include "apps/commands.h"
#include "models/teacher.h"
#include "models/zoo.h"

namespace dfq {

void add_teacher_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("teacher", "train a full-precision teacher and save it to the zoo");
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
  cmd->callback([&cli, o, zoo] {
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
