// Settings declared once (core/config/params.h): parsing, the one error format, defaults
// from the struct, JSON types as the store records them, and stored configurations.
#include <gtest/gtest.h>

#include "core/config/params.h"
#include "core/util/error.h"

namespace dfq {
namespace {

enum class Mode { Fast, Exact };

struct Demo {
  bool on = true;
  int64_t count = 3;
  double rate = 0.5;
  double auto_len = -1;
  std::string name = "a";
  Mode mode = Mode::Exact;
  std::vector<double> steps;
  static const ParamBlock<Demo>& block() {
    static const auto block = ParamBlock<Demo>("demo")
                                  .flag("on", &Demo::on, "a switch")
                                  .integer("count", &Demo::count, Bounds::at_least(1), "a count")
                                  .number("rate", &Demo::rate, Bounds::above_up_to(0, 1), "a rate")
                                  .number("auto_len", &Demo::auto_len, Bounds::at_least(0).or_auto(-1), "a length")
                                  .text("name", &Demo::name, {"a", "b"}, "a name")
                                  .choice("mode", &Demo::mode, {{"fast", Mode::Fast}, {"exact", Mode::Exact}}, "a mode")
                                  .numbers("steps", &Demo::steps, Bounds::at_least(0), "steps");
    return block;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidInputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Params, DefaultsComeFromTheStructAndKeepTheirJsonTypes) {
  Demo d;
  d.count = 7;
  Config c(Demo::block().schema(d));
  EXPECT_EQ(c.dump(),
            R"({"auto_len":-1.0,"count":7,"mode":"exact","name":"a","on":true,"rate":0.5,"steps":[]})");
  const Demo back = Demo::block().read(c);
  EXPECT_EQ(back.count, 7);
  EXPECT_EQ(back.mode, Mode::Exact);
}

TEST(Params, ParsesEveryTypeFromText) {
  Config c(Demo::block().schema({}));
  c.set_assignment("on=false");
  c.set("count", "12");
  c.set("rate", "1");
  c.set("auto_len", "-1");
  c.set("name", "b");
  c.set("mode", "fast");
  c.set("steps", "100,200.5");
  const auto d = Demo::block().read(c);
  EXPECT_FALSE(d.on);
  EXPECT_EQ(d.count, 12);
  EXPECT_DOUBLE_EQ(d.rate, 1.0);
  EXPECT_EQ(d.name, "b");
  EXPECT_EQ(d.mode, Mode::Fast);
  EXPECT_EQ(d.steps, (std::vector<double>{100, 200.5}));
  EXPECT_EQ(c.json().at("rate").dump(), "1.0");  // a number stays floating point
  c.set("steps", "");
  EXPECT_TRUE(Demo::block().read(c).steps.empty());
}

TEST(Params, OneErrorFormatNamesKeyExpectationAndValue) {
  Config c(Demo::block().schema({}));
  EXPECT_EQ(error_of([&] { c.set("nope", "1"); }),
            "unknown key 'nope'; valid keys: auto_len, count, mode, name, on, rate, steps");
  EXPECT_EQ(error_of([&] { c.set("count", "0"); }), "bad value for count: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of([&] { c.set("count", "2.5"); }), "bad value for count: expected an integer >= 1, got '2.5'");
  EXPECT_EQ(error_of([&] { c.set("rate", "0"); }), "bad value for rate: expected a number in (0, 1], got 0.0");
  EXPECT_EQ(error_of([&] { c.set("rate", "x"); }), "bad value for rate: expected a number in (0, 1], got 'x'");
  EXPECT_EQ(error_of([&] { c.set("auto_len", "-2"); }),
            "bad value for auto_len: expected a number -1 (auto) or >= 0, got -2.0");
  EXPECT_EQ(error_of([&] { c.set("on", "maybe"); }), "bad value for on: expected true or false, got 'maybe'");
  EXPECT_EQ(error_of([&] { c.set("mode", "slow"); }), "bad value for mode: expected one of fast, exact, got 'slow'");
  EXPECT_EQ(error_of([&] { c.set("steps", "1,-3"); }),
            "bad value for steps: expected numbers >= 0 a,b,... (or empty: key=), got -3.0");
  EXPECT_EQ(error_of([&] { c.set_assignment("count"); }), "--set expects key=value, got 'count'");
  EXPECT_EQ(error_of([&] { c.set_json("count", 1.5); }), "bad value for count: expected an integer >= 1, got 1.5");
  // #17 item 14: decimal numbers only, no empty list items.
  EXPECT_EQ(error_of([&] { c.set("count", "0x10"); }), "bad value for count: expected an integer >= 1, got '0x10'");
  EXPECT_EQ(error_of([&] { c.set("rate", "nan"); }), "bad value for rate: expected a number in (0, 1], got 'nan'");
  EXPECT_EQ(error_of([&] { c.set("steps", "1,,2"); }),
            "bad value for steps: empty item in '1,,2' (write a,b,c; or steps= for an empty list)");
  EXPECT_EQ(error_of([&] { c.set("steps", "1,2,"); }), "bad value for steps: '1,2,' ends with a comma");
}

TEST(Params, StoredConfigurationsRoundTripAndAreChecked) {
  Config c(Demo::block().schema({}));
  c.set("count", "9");
  auto back = Config::from_json(Demo::block().schema({}), nlohmann::json::parse(c.dump()));
  EXPECT_EQ(back.dump(), c.dump());
  EXPECT_EQ(back.hash(), c.hash());
  auto missing = nlohmann::json::parse(c.dump());
  missing.erase("rate");
  EXPECT_EQ(error_of([&] { Config::from_json(Demo::block().schema({}), missing); }),
            "the configuration lacks key 'rate'");
  auto extra = nlohmann::json::parse(c.dump());
  extra["speed"] = 1;
  EXPECT_NE(error_of([&] { Config::from_json(Demo::block().schema({}), extra); }).find("unknown key 'speed'"),
            std::string::npos);
}

TEST(Params, BlocksWriteBackAndCanLeaveKeysOut) {
  Config c(Demo::block().schema({}, {"name"}));
  EXPECT_FALSE(c.has("name"));
  Demo d = Demo::block().read(c);
  d.auto_len = 4;
  d.name = "b";  // not in this configuration: not written
  Demo::block().write(d, c);
  EXPECT_DOUBLE_EQ(Demo::block().read(c).auto_len, 4.0);
  EXPECT_FALSE(c.has("name"));
  EXPECT_EQ(Demo::block().to_json(d).at("name"), "b");
  EXPECT_THROW(Config(join({Demo::block().schema({}), Demo::block().schema({})})), Error);  // declared twice
}

}  // namespace
}  // namespace dfq
