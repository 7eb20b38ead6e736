// NetworkTables 4: values, MessagePack/JSON messages, time synchronisation, server addresses.
#include "test_util.hpp"

#include <string>
#include <vector>

#include "rvkit/core/error.hpp"
#include "rvkit/nt/address.hpp"
#include "rvkit/nt/time_sync.hpp"
#include "rvkit/nt/value.hpp"
#include "rvkit/nt/wire.hpp"

using namespace rvkit;
using namespace rvkit::nt;

namespace {

struct Decoded {
  std::vector<BinaryMessage> msgs;
  std::vector<Value> values;
  std::vector<std::string> bad;
  bool ok = true;
};

Decoded decode(const std::string& frame, NtType t = NtType::Double) {
  Decoded d;
  d.ok = decode_binary_frame(
      reinterpret_cast<const uint8_t*>(frame.data()), frame.size(),
      [&](const BinaryMessage& m) {
        d.msgs.push_back(m);
        auto v = value_from_msgpack(NtType(m.type_id), *m.value);
        if (!v) v = value_from_msgpack(t, *m.value);
        if (v) d.values.push_back(*v);
      },
      [&](const std::string& why) { d.bad.push_back(why); });
  return d;
}

std::string frame_of(const std::vector<std::pair<int64_t, Value>>& vals, int64_t ts = 1000) {
  msgpack::sbuffer buf;
  for (const auto& [id, v] : vals) append_value_message(buf, id, ts, v);
  return std::string(buf.data(), buf.size());
}

}  // namespace

TEST_CASE("nt: type strings map to the spec's binary types") {
  CHECK(type_of("boolean") == NtType::Boolean);
  CHECK(type_of("double") == NtType::Double);
  CHECK(type_of("int") == NtType::Int);
  CHECK(type_of("float") == NtType::Float);
  CHECK(type_of("string") == NtType::String);
  CHECK(type_of("json") == NtType::String);
  CHECK(type_of("raw") == NtType::Raw);
  CHECK(type_of("struct:Pose3d") == NtType::Raw);
  CHECK(type_of("structschema") == NtType::Raw);
  CHECK(type_of("msgpack") == NtType::Raw);
  CHECK(type_of("boolean[]") == NtType::BooleanArray);
  CHECK(type_of("double[]") == NtType::DoubleArray);
  CHECK(type_of("int[]") == NtType::IntArray);
  CHECK(type_of("float[]") == NtType::FloatArray);
  CHECK(type_of("string[]") == NtType::StringArray);
  CHECK(int(NtType::StringArray) == 20);
  CHECK(is_known_type_id(5));
  CHECK_FALSE(is_known_type_id(6));
  CHECK_FALSE(is_known_type_id(-1));
}

TEST_CASE("nt: the spec's example double value message is 17 bytes") {
  // [50, 120000000, 1, 0.1234] per the spec: 94 32 D2 07 27 0E 00 01 CB ...
  std::string f = frame_of({{50, Value::float64(0.1234)}}, 120000000);
  CHECK(f.size() == 17);
  CHECK(uint8_t(f[0]) == 0x94);
  CHECK(uint8_t(f[1]) == 0x32);
  CHECK((uint8_t(f[2]) == 0xD2 || uint8_t(f[2]) == 0xCE));  // int32 or uint32: both 5 bytes
  CHECK(uint8_t(f[7]) == 0x01);
  CHECK(uint8_t(f[8]) == 0xCB);
}

TEST_CASE("nt: every value type survives MessagePack") {
  std::vector<Value> vals = {
      Value::boolean(true),
      Value::integer(-123456789012LL),
      Value::float32(1.5f),
      Value::float64(-2.25),
      Value::string("hello"),
      Value::raw({0, 1, 2, 255}),
      Value::boolean_array({true, false, true}),
      Value::int_array({1, -2, 3}),
      Value::float_array({0.5f, 1.5f}),
      Value::double_array({1.0, 2.5, -3.75}),
      Value::string_array({"a", "", "c"}),
  };
  std::vector<std::pair<int64_t, Value>> in;
  for (size_t i = 0; i < vals.size(); ++i) in.push_back({int64_t(i + 1), vals[i]});
  Decoded d = decode(frame_of(in));
  CHECK(d.ok);
  CHECK(d.bad.empty());
  REQUIRE(d.values.size() == vals.size());
  for (size_t i = 0; i < vals.size(); ++i) {
    CAPTURE(i);
    CHECK(d.msgs[i].id == int64_t(i + 1));
    CHECK(d.msgs[i].timestamp == 1000);
    CHECK(d.values[i] == vals[i]);
  }
}

TEST_CASE("nt: several messages in one frame all decode") {
  std::string f = frame_of({{1, Value::boolean(true)}, {2, Value::float64(2.0)}, {3, Value::string("x")}});
  Decoded d = decode(f);
  CHECK(d.ok);
  CHECK(d.msgs.size() == 3);
}

TEST_CASE("nt: RTT messages carry id -1") {
  msgpack::sbuffer buf;
  append_rtt_message(buf, 0, 123456789);
  Decoded d = decode(std::string(buf.data(), buf.size()));
  REQUIRE(d.msgs.size() == 1);
  CHECK(d.msgs[0].id == -1);
  CHECK(d.msgs[0].timestamp == 0);
  CHECK(d.values[0] == Value::integer(123456789));
}

TEST_CASE("nt: numbers convert between int and double where a peer sends the other") {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack(3);
  auto oh = msgpack::unpack(buf.data(), buf.size());
  auto d = value_from_msgpack(NtType::Double, oh.get());
  REQUIRE(d);
  CHECK(d->get<double>() == 3.0);
  msgpack::sbuffer b2;
  msgpack::packer<msgpack::sbuffer> pk2(b2);
  pk2.pack(4.0);
  auto oh2 = msgpack::unpack(b2.data(), b2.size());
  auto i = value_from_msgpack(NtType::Int, oh2.get());
  REQUIRE(i);
  CHECK(i->get<int64_t>() == 4);
  msgpack::sbuffer b3;
  msgpack::packer<msgpack::sbuffer> pk3(b3);
  pk3.pack(4.5);
  auto oh3 = msgpack::unpack(b3.data(), b3.size());
  CHECK_FALSE(value_from_msgpack(NtType::Int, oh3.get()));
  CHECK_FALSE(value_from_msgpack(NtType::Boolean, oh3.get()));
  CHECK_FALSE(value_from_msgpack(NtType::String, oh3.get()));
}

TEST_CASE("nt: malformed binary frames are reported, never crash or over-allocate") {
  // not an array
  Decoded a = decode(std::string("\x05", 1));
  CHECK(a.msgs.empty());
  CHECK(a.bad.size() == 1);
  // an array of 3
  Decoded b = decode(std::string("\x93\x01\x02\x03", 4));
  CHECK(b.msgs.empty());
  CHECK(b.bad.size() == 1);
  // a 4-array whose id is a string
  Decoded c = decode(std::string("\x94\xa1x\x01\x01\x01", 6));
  CHECK(c.msgs.empty());
  CHECK(c.bad.size() == 1);
  // truncated
  std::string f = frame_of({{1, Value::float64(1.0)}});
  Decoded t = decode(f.substr(0, f.size() - 3));
  CHECK_FALSE(t.ok);
  CHECK(t.bad.size() == 1);
  // an array header claiming 4 billion elements in a 5-byte frame
  Decoded h = decode(std::string("\xdd\xff\xff\xff\xff", 5));
  CHECK_FALSE(h.ok);
  // a str header claiming 4 GB
  Decoded s = decode(std::string("\x94\x01\x01\x04\xdb\xff\xff\xff\xff", 9));
  CHECK_FALSE(s.ok);
  // random bytes
  std::string junk;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    junk += char(x >> 16);
  }
  Decoded j = decode(junk);
  (void)j;  // anything but a crash is fine
  CHECK(true);
}

TEST_CASE("nt: text frames: well-formed messages pass, the rest is reported") {
  std::vector<std::string> methods, bad;
  auto run = [&](const std::string& text) {
    methods.clear();
    bad.clear();
    decode_text_frame(
        text, [&](const std::string& m, const Json& p) { methods.push_back(m + ":" + p.dump()); },
        [&](const std::string& why) { bad.push_back(why); });
  };
  run(R"([{"method":"publish","params":{"name":"/a","pubuid":1,"type":"double","properties":{}}},{"method":"unpublish","params":{"pubuid":1}}])");
  CHECK(methods.size() == 2);
  CHECK(bad.empty());
  run("not json");
  CHECK(methods.empty());
  CHECK(bad.size() == 1);
  run(R"({"method":"publish"})");
  CHECK(bad.size() == 1);
  run(R"([1, "x", {"method":3,"params":{}}, {"method":"a"}, {"method":"a","params":[]}, {"method":"ok","params":{}}])");
  CHECK(methods.size() == 1);
  CHECK(bad.size() == 5);
  run(std::string(10000, '[') + std::string(10000, ']'));
  CHECK(methods.empty());
  CHECK(bad.size() == 1);
}

TEST_CASE("nt: JSON conversions of values") {
  CHECK(value_to_json(Value::boolean(true)) == Json(true));
  CHECK(value_to_json(Value::int_array({1, 2})) == Json::parse("[1,2]"));
  CHECK(value_to_json(Value::raw({'h', 'i'})) == Json("aGk="));
  CHECK(*value_from_json("double", Json(2)) == Value::float64(2.0));
  CHECK(*value_from_json("int", Json(2.0)) == Value::integer(2));
  CHECK(*value_from_json("boolean", Json(1)) == Value::boolean(true));
  CHECK(*value_from_json("int[]", Json::parse("[1,2.0,3]")) == Value::int_array({1, 2, 3}));
  CHECK(*value_from_json("json", Json::parse("{\"a\":1}")) == Value::string("{\"a\":1}"));
  CHECK(*value_from_json("string", Json("x")) == Value::string("x"));
  CHECK(*value_from_json("raw", Json("aGk=")) == Value::raw({'h', 'i'}));
  CHECK_FALSE(value_from_json("double", Json("x")));
  CHECK_FALSE(value_from_json("int[]", Json::parse("[1,\"a\"]")));
  CHECK_FALSE(value_from_json("raw", Json("not base64!")));
}

TEST_CASE("nt: JSON documents as MessagePack (meta topic payloads)") {
  Json doc = Json::parse(R"([{"client": "a", "subuid": 3, "options": {"periodic": 0.5, "all": true}},
                              {"n": -7, "big": 18446744073709551615, "none": null, "s": "x"}])");
  Bytes b = json_to_msgpack(doc);
  CHECK(Json::from_msgpack(b) == doc);  // keys keep their order
  // Doubles stay float64 (0xcb and 8 bytes), even where float32 would hold them exactly.
  CHECK(json_to_msgpack(Json(0.5)) == Bytes{0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0});
  CHECK(json_to_msgpack(Json(5)) == Bytes{0x05});
  CHECK(json_to_msgpack(Json::array()) == Bytes{0x90});
}

TEST_CASE("nt: base64") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string e = base64_encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    auto d = base64_decode(e);
    REQUIRE(d);
    CHECK(std::string(d->begin(), d->end()) == s);
  }
  CHECK(base64_encode(reinterpret_cast<const uint8_t*>("foobar"), 6) == "Zm9vYmFy");
  CHECK_FALSE(base64_decode("abc"));
  CHECK_FALSE(base64_decode("ab!d"));
  CHECK_FALSE(base64_decode("a==="));
}

TEST_CASE("nt: time sync keeps the offset of the smallest round trip") {
  TimeSync ts;
  CHECK_FALSE(ts.synced());
  // Sent at mono 1000, answered at mono 1400 (RTT 400): server said 50000; our wall clock 10000.
  CHECK(ts.update(1000, 50000, 1400, 10000));
  CHECK(ts.synced());
  CHECK(ts.rtt_us() == 400);
  CHECK(ts.offset_us() == 50000 + 200 - 10000);
  CHECK(ts.to_server(10000) == 50200);
  CHECK(ts.to_local(50200) == 10000);
  // A slower round trip does not replace it...
  CHECK_FALSE(ts.update(2000, 99999, 3000, 20000));
  CHECK(ts.offset_us() == 40200);
  // ...a faster one does.
  CHECK(ts.update(5000, 60000, 5100, 19800));
  CHECK(ts.rtt_us() == 100);
  CHECK(ts.offset_us() == 60000 + 50 - 19800);
  // Nonsense (an answer from the future) is ignored.
  CHECK_FALSE(ts.update(9000, 1, 8000, 1));
  ts.reset();
  CHECK_FALSE(ts.synced());
}

TEST_CASE("nt: server addresses") {
  auto t = team_addresses(1234, 5810);
  REQUIRE(t.size() == 5);
  CHECK(t[0].host == "10.12.34.2");
  CHECK(t[1].host == "172.22.11.2");
  CHECK(t[2].host == "roboRIO-1234-FRC.local");
  CHECK(t[3].host == "roboRIO-1234-FRC.lan");
  CHECK(t[4].host == "roboRIO-1234-FRC.frc-field.local");
  CHECK(team_addresses(254, 5810)[0].host == "10.2.54.2");
  CHECK(team_addresses(9, 5810)[0].host == "10.0.9.2");
  CHECK(team_addresses(12345, 5810)[0].host == "10.123.45.2");

  auto a = parse_server_address("robot.local:1234", 5810);
  CHECK(a.host == "robot.local");
  CHECK(a.port == 1234);
  CHECK(parse_server_address("127.0.0.1", 5810).port == 5810);
  auto v6 = parse_server_address("[::1]:5811", 5810);
  CHECK(v6.host == "::1");
  CHECK(v6.port == 5811);
  CHECK(v6.to_string() == "[::1]:5811");
  CHECK(parse_server_address("::1", 5810).host == "::1");
  CHECK_THROWS_AS(parse_server_address("host:99999", 5810), Error);
  CHECK_THROWS_AS(parse_server_address("host:abc", 5810), Error);
  CHECK_THROWS_AS(parse_server_address(":5810", 5810), Error);
  CHECK_THROWS_AS(parse_server_address("", 5810), Error);
  CHECK(url_encode("my cam/1") == "my%20cam%2F1");
  CHECK(url_decode("my%20cam%2F1") == "my cam/1");
}
