#include "cli/junit.h"

#include <cstdio>
#include <map>

namespace slotsim {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += '?';
        else out += c;
    }
  }
  return out;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

std::string JUnitXml(const std::vector<JUnitCase>& cases) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const JUnitCase*>> by_suite;
  for (const auto& c : cases) {
    if (!by_suite.count(c.suite)) order.push_back(c.suite);
    by_suite[c.suite].push_back(&c);
  }
  auto count = [](const std::vector<const JUnitCase*>& cs, const char* outcome) {
    int n = 0;
    for (const auto* c : cs) n += c->outcome == outcome ? 1 : 0;
    return n;
  };
  std::string body;
  int failures = 0, errors = 0;
  double total = 0;
  for (const auto& name : order) {
    const auto& cs = by_suite[name];
    double t = 0;
    for (const auto* c : cs) t += c->seconds;
    total += t;
    const int f = count(cs, "violation"), e = count(cs, "crashed");
    failures += f;
    errors += e;
    body += "  <testsuite name=\"" + Escape(name) + "\" tests=\"" + std::to_string(cs.size()) +
            "\" failures=\"" + std::to_string(f) + "\" errors=\"" + std::to_string(e) +
            "\" time=\"" + Seconds(t) + "\">\n";
    for (const auto* c : cs) {
      body += "    <testcase classname=\"slotsim." + Escape(c->suite) + "\" name=\"" +
              Escape(c->name) + "\" file=\"" + Escape(c->file) + "\" time=\"" +
              Seconds(c->seconds) + "\"";
      if (c->outcome == "pass") {
        body += "/>\n";
        continue;
      }
      if (c->outcome == "expected") {
        // A pass, but one a reader should not mistake for a clean run.
        body += ">\n      <properties><property name=\"outcome\" value=\"expected\"/>"
                "</properties>\n      <system-out>" + Escape(c->details) +
                "</system-out>\n    </testcase>\n";
        continue;
      }
      const char* tag = c->outcome == "crashed" ? "error" : "failure";
      body += ">\n      <" + std::string(tag) + " type=\"" + Escape(c->outcome) +
              "\" message=\"" + Escape(c->message) + "\">" + Escape(c->details) + "</" + tag +
              ">\n    </testcase>\n";
    }
    body += "  </testsuite>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"slotsim\" tests=\"" +
         std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" errors=\"" + std::to_string(errors) + "\" time=\"" + Seconds(total) + "\">\n" +
         body + "</testsuites>\n";
}

}  // namespace slotsim
