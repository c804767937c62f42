#include "traces/derived_rows.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TEST(DetailField, FindsWholeKeysOnly) {
  const std::string d = "conn=3 bytes=48 msg=809 xmsg=1";
  EXPECT_EQ(DetailField(d, "msg"), "809");
  EXPECT_EQ(DetailField(d, "conn"), "3");
  EXPECT_EQ(DetailField(d, "xmsg"), "1");
  EXPECT_EQ(DetailField(d, "sg"), "");
  EXPECT_EQ(DetailField(d, "missing"), "");
  EXPECT_EQ(DetailField("", "msg"), "");
  EXPECT_EQ(DetailField("msg", "msg"), "");  // a key without a value
}

TEST(DetailField, ReplyAndMessageRunToTheEnd) {
  EXPECT_EQ(DetailField("client=0 outcome=error reply=(error) CLUSTERDOWN The cluster is down",
                        "reply"),
            "(error) CLUSTERDOWN The cluster is down");
  EXPECT_EQ(DetailField("id=x causes=1,2 message=a b=c", "message"), "a b=c");
  EXPECT_EQ(DetailField("id=x causes=1,2 message=a b=c", "causes"), "1,2");
}

}  // namespace
}  // namespace slotsim
