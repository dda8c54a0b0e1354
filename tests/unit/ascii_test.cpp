#include "protocol/ascii.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cppftpd::protocol {
namespace {

using namespace std::literals;

// Converts `input` cut at the given ascending offsets, with a fresh converter.
std::string encode_split(std::string_view input, const std::vector<std::size_t>& cuts) {
  AsciiEncoder encoder;
  std::string output;
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    encoder.encode(input.substr(start, cut - start), output);
    start = cut;
  }
  encoder.encode(input.substr(start), output);
  return output;
}

std::string decode_split(std::string_view input, const std::vector<std::size_t>& cuts) {
  AsciiDecoder decoder;
  std::string output;
  std::size_t start = 0;
  for (const std::size_t cut : cuts) {
    decoder.decode(input.substr(start, cut - start), output);
    start = cut;
  }
  decoder.decode(input.substr(start), output);
  decoder.finish(output);
  return output;
}

std::string encode(std::string_view input) { return encode_split(input, {}); }
std::string decode(std::string_view input) { return decode_split(input, {}); }

// The output must not depend on where the input is cut: every cut, every pair
// of cuts (short inputs), and byte by byte.
template <typename Convert>
void expect_split_invariant(std::string_view input, Convert convert) {
  const std::string whole = convert(input, std::vector<std::size_t>{});
  for (std::size_t i = 0; i <= input.size(); ++i) {
    ASSERT_EQ(convert(input, std::vector<std::size_t>{i}), whole) << "cut at " << i;
  }
  if (input.size() <= 40) {
    for (std::size_t i = 0; i <= input.size(); ++i) {
      for (std::size_t j = i; j <= input.size(); ++j) {
        ASSERT_EQ(convert(input, std::vector<std::size_t>{i, j}), whole)
            << "cuts at " << i << ", " << j;
      }
    }
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  ASSERT_EQ(convert(input, every_byte), whole) << "byte by byte";
}

const std::vector<std::string_view> kSamples = {
    ""sv,
    "\n"sv,
    "\r"sv,
    "\r\n"sv,
    "\n\r"sv,
    "\r\r\n\n"sv,
    "line one\nline two\n"sv,
    "dos\r\nlines\r\n"sv,
    "mixed\nand\r\nlone\rcr\r"sv,
    "\r\r\r\n\n\n\r"sv,
    "no newline at all"sv,
    "\0\n\0\r\0"sv,
    "\xff\r\n\xfe\n"sv,
};

// Encoder: local to network

TEST(AsciiEncoder, BareLfBecomesCrlf) {
  EXPECT_EQ(encode("a\nb\n"), "a\r\nb\r\n");
  EXPECT_EQ(encode("\n"), "\r\n");
  EXPECT_EQ(encode("\n\n"), "\r\n\r\n");
}

TEST(AsciiEncoder, ExistingCrlfKept) {
  EXPECT_EQ(encode("a\r\nb"), "a\r\nb");
  EXPECT_EQ(encode("\r\n\r\n"), "\r\n\r\n");
}

TEST(AsciiEncoder, LoneCrKept) {
  EXPECT_EQ(encode("a\rb"), "a\rb");
  EXPECT_EQ(encode("\r"), "\r");
  EXPECT_EQ(encode("\r\r\n"), "\r\r\n");
  EXPECT_EQ(encode("\n\r"), "\r\n\r");
}

TEST(AsciiEncoder, NoNewlinesUnchanged) {
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("plain text"), "plain text");
  EXPECT_EQ(encode("\0\xff"sv), "\0\xff"s);
}

TEST(AsciiEncoder, CrAtEndOfChunkPairsWithLfInNext) {
  AsciiEncoder encoder;
  std::string output;
  encoder.encode("a\r", output);
  encoder.encode("\nb\n", output);
  EXPECT_EQ(output, "a\r\nb\r\n");
}

TEST(AsciiEncoder, CrStateClearedByOtherBytes) {
  AsciiEncoder encoder;
  std::string output;
  encoder.encode("a\r", output);
  encoder.encode("x", output);
  encoder.encode("\n", output);
  EXPECT_EQ(output, "a\rx\r\n");
}

TEST(AsciiEncoder, EmptyChunkKeepsState) {
  AsciiEncoder encoder;
  std::string output;
  encoder.encode("\r", output);
  encoder.encode("", output);
  encoder.encode("\n", output);
  EXPECT_EQ(output, "\r\n");
}

TEST(AsciiEncoder, AppendsToOutput) {
  AsciiEncoder encoder;
  std::string output = "kept";
  encoder.encode("\n", output);
  EXPECT_EQ(output, "kept\r\n");
}

TEST(AsciiEncoder, SplitAnywhere) {
  for (const auto sample : kSamples) {
    SCOPED_TRACE(testing::Message() << "sample of " << sample.size() << " bytes");
    expect_split_invariant(sample, encode_split);
  }
}

TEST(AsciiEncoder, NeverDoublesCr) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> pick(0, 3);
  for (int round = 0; round < 500; ++round) {
    std::string input;
    for (int i = 0; i < 30; ++i) input.push_back("a\r\n\n"[pick(random)]);
    const auto output = encode(input);
    // Every LF in the output follows a CR, and only the LFs gained a byte.
    for (std::size_t i = 0; i < output.size(); ++i) {
      if (output[i] == '\n') {
        ASSERT_TRUE(i > 0 && output[i - 1] == '\r') << i;
      }
    }
    std::size_t bare_lfs = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '\n' && (i == 0 || input[i - 1] != '\r')) ++bare_lfs;
    }
    EXPECT_EQ(output.size(), input.size() + bare_lfs);
  }
}

// Decoder: network to local

TEST(AsciiDecoder, CrlfBecomesLf) {
  EXPECT_EQ(decode("a\r\nb\r\n"), "a\nb\n");
  EXPECT_EQ(decode("\r\n"), "\n");
  EXPECT_EQ(decode("\r\n\r\n"), "\n\n");
}

TEST(AsciiDecoder, LoneCrKept) {
  EXPECT_EQ(decode("a\rb"), "a\rb");
  EXPECT_EQ(decode("\r\r\n"), "\r\n");
  EXPECT_EQ(decode("\r\r"), "\r\r");
  EXPECT_EQ(decode("\n\r"), "\n\r");
}

TEST(AsciiDecoder, BareLfKept) { EXPECT_EQ(decode("a\nb\n"), "a\nb\n"); }

TEST(AsciiDecoder, CrHeldUntilNextByte) {
  AsciiDecoder decoder;
  std::string output;
  decoder.decode("a\r", output);
  EXPECT_EQ(output, "a") << "the CR waits to see whether a LF follows";
  decoder.decode("\n", output);
  EXPECT_EQ(output, "a\n");
  decoder.decode("\r", output);
  decoder.decode("b", output);
  EXPECT_EQ(output, "a\n\rb");
}

TEST(AsciiDecoder, FinishFlushesPendingCr) {
  AsciiDecoder decoder;
  std::string output;
  decoder.decode("end\r", output);
  EXPECT_EQ(output, "end");
  decoder.finish(output);
  EXPECT_EQ(output, "end\r");
  decoder.finish(output);
  EXPECT_EQ(output, "end\r") << "finish twice adds nothing";
}

TEST(AsciiDecoder, FinishWithoutPendingCrAddsNothing) {
  AsciiDecoder decoder;
  std::string output;
  decoder.decode("a\r\n", output);
  decoder.finish(output);
  EXPECT_EQ(output, "a\n");
}

TEST(AsciiDecoder, EmptyChunkKeepsState) {
  AsciiDecoder decoder;
  std::string output;
  decoder.decode("\r", output);
  decoder.decode("", output);
  decoder.decode("\n", output);
  decoder.finish(output);
  EXPECT_EQ(output, "\n");
}

TEST(AsciiDecoder, AppendsToOutput) {
  AsciiDecoder decoder;
  std::string output = "kept";
  decoder.decode("\r\n", output);
  EXPECT_EQ(output, "kept\n");
}

TEST(AsciiDecoder, SplitAnywhere) {
  for (const auto sample : kSamples) {
    SCOPED_TRACE(testing::Message() << "sample of " << sample.size() << " bytes");
    expect_split_invariant(sample, decode_split);
  }
}

// Random data over the bytes that matter, against the whole-input result and
// a byte-at-a-time model.
TEST(Ascii, RandomInputsSplitAnywhere) {
  std::mt19937 random(2024);
  std::uniform_int_distribution<int> pick(0, 4);
  std::uniform_int_distribution<std::size_t> length(0, 64);
  for (int round = 0; round < 300; ++round) {
    std::string input;
    const auto size = length(random);
    for (std::size_t i = 0; i < size; ++i) input.push_back("x\r\n\r\0"[pick(random)]);

    std::string encoded_model;
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '\n' && (i == 0 || input[i - 1] != '\r')) encoded_model.push_back('\r');
      encoded_model.push_back(input[i]);
    }
    std::string decoded_model;
    for (std::size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '\r' && i + 1 < input.size() && input[i + 1] == '\n') continue;
      decoded_model.push_back(input[i]);
    }
    ASSERT_EQ(encode(input), encoded_model);
    ASSERT_EQ(decode(input), decoded_model);
    expect_split_invariant(input, encode_split);
    expect_split_invariant(input, decode_split);
  }
}

TEST(Ascii, RoundTripWithoutCr) {
  // Text without CR survives local -> network -> local unchanged.
  std::mt19937 random(5);
  std::uniform_int_distribution<int> pick(0, 2);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    for (int i = 0; i < 50; ++i) text.push_back("ab\n"[pick(random)]);
    EXPECT_EQ(decode(encode(text)), text);
  }
}

TEST(Ascii, LargeBuffer) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "line of text\n";
  const auto encoded = encode(text);
  EXPECT_EQ(encoded.size(), text.size() + 100000);
  EXPECT_EQ(decode(encoded), text);
}

}  // namespace
}  // namespace cppftpd::protocol
