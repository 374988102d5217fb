"""R-ORG-6: province-level codes of GB/T 2260."""
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

PROVINCES = {
    "11": gettext_noop("北京市"), "12": gettext_noop("天津市"), "13": gettext_noop("河北省"),
    "14": gettext_noop("山西省"), "15": gettext_noop("内蒙古自治区"), "21": gettext_noop("辽宁省"),
    "22": gettext_noop("吉林省"), "23": gettext_noop("黑龙江省"), "31": gettext_noop("上海市"),
    "32": gettext_noop("江苏省"), "33": gettext_noop("浙江省"), "34": gettext_noop("安徽省"),
    "35": gettext_noop("福建省"), "36": gettext_noop("江西省"), "37": gettext_noop("山东省"),
    "41": gettext_noop("河南省"), "42": gettext_noop("湖北省"), "43": gettext_noop("湖南省"),
    "44": gettext_noop("广东省"), "45": gettext_noop("广西壮族自治区"), "46": gettext_noop("海南省"),
    "50": gettext_noop("重庆市"), "51": gettext_noop("四川省"), "52": gettext_noop("贵州省"),
    "53": gettext_noop("云南省"), "54": gettext_noop("西藏自治区"), "61": gettext_noop("陕西省"),
    "62": gettext_noop("甘肃省"), "63": gettext_noop("青海省"), "64": gettext_noop("宁夏回族自治区"),
    "65": gettext_noop("新疆维吾尔自治区"), "71": gettext_noop("台湾省"), "81": gettext_noop("香港特别行政区"),
    "82": gettext_noop("澳门特别行政区"),
}
XINJIANG = "65"
REGION_CHOICES = [(code, _(name)) for code, name in sorted(PROVINCES.items())]
