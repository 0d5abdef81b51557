// dfq list: the registered methods; with --config every setting of each (type, allowed
// values, default, meaning) and its presets.
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <memory>

#include "apps/commands.h"
#include "methods/registry.h"

namespace dfq {
namespace {

void print_settings(const MethodDescriptor& m) {
  fmt::print("  {:<14} {:<22} {:<8} {:<12} {:<34} {}\n", "block", "key", "type", "default", "allowed", "meaning");
  for (const auto& p : m.params) {
    const auto allowed = p.type == ParamType::Bool ? std::string("true, false") : p.expected();
    fmt::print("  {:<14} {:<22} {:<8} {:<12} {:<34} {}\n", p.block, p.key, p.type_name(), p.default_value.dump(),
               allowed, p.doc);
  }
  for (const auto& [name, sets] : m.presets) fmt::print("  preset {}: {}\n", name, fmt::join(sets, " "));
}

int list_methods(bool settings, const std::string& only) {
  if (!only.empty()) find_method(only);  // unknown names fail with the valid list
  fmt::print("{:<10} {:<6} {:<10} {:<10} {:<18} {}\n", "method", "year", "generator", "finetunes", "bits", "paper");
  for (const auto& m : method_registry()) {
    if (!only.empty() && m.name != only) continue;
    fmt::print("{:<10} {:<6} {:<10} {:<10} {:<18} {}\n", m.name, m.year ? std::to_string(m.year) : "-",
               m.needs_generator ? "yes" : "no", m.fine_tunes ? "yes" : "no", fmt::format("{}", fmt::join(m.bits, ",")),
               m.paper);
    for (const auto& d : m.deviations) fmt::print("    differs from the official code: {}\n", d);
    if (settings) print_settings(m);
  }
  return 0;
}

}  // namespace

void add_list_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("list", "list the registered methods with paper, year and supported bits");
  auto settings = std::make_shared<bool>(false);
  auto only = std::make_shared<std::string>();
  cmd->add_flag("--config", *settings, "also print every setting of each method: type, default, allowed values, meaning");
  cmd->add_option("--method", *only, "only this method");
  cmd->callback([&cli, settings, only] { cli.run([&] { return list_methods(*settings, *only); }); });
}

}  // namespace dfq
