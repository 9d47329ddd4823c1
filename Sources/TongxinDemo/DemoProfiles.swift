import Foundation
import Workflow

/// The six peer committees of the seed article (shared/domain.md), as demo profiles. Leiyang's
/// figures are the seed's; the five peers are plausible counties of other sizes and habits.
extension DemoProfile {
    /// The codes `profile(forCode:)` knows, in the seed's order.
    public static let codes = ["leiyang", "changning", "linwu", "lingling", "zhaoping", "macheng"]

    public static func profile(forCode code: String) -> DemoProfile? {
        switch code.trimmingCharacters(in: .whitespaces).lowercased() {
        case "leiyang": leiyang2021()
        case "changning": changning2021()
        case "linwu": linwu2021()
        case "lingling": lingling2021()
        case "zhaoping": zhaoping2021()
        case "macheng": macheng2021()
        default: nil
        }
    }

    /// The handling units most county governments have; each profile adds its state company.
    static let commonUnits = [
        "城管局", "教育局", "卫健局", "交通运输局", "自然资源局", "住建局", "农业农村局", "林业局", "应急管理局",
        "文旅广体局", "生态环境局", "市场监管局", "人社局", "民政局", "水利局", "发改局", "财政局", "公安局", "司法局",
    ]

    /// 耒阳市 (衡阳市, 湖南): the seed article's figures for 2021, exactly.
    public static func leiyang2021() -> DemoProfile {
        DemoProfile(
            countyName: "耒阳市",
            sectors: ["中共", "民主党派", "无党派人士", "工商联", "经济界", "农业界", "教育界", "科技界", "医药卫生界",
                      "文化艺术体育界", "社会福利和社会保障界", "特邀"],
            memberCount: 216,
            units: commonUnits + ["城农投公司"],
            townships: ["蔡子池街道", "水东江街道", "灶市街街道", "五里牌街道", "三架街道", "龙塘镇", "导子镇", "大市镇",
                        "哲桥镇", "夏塘镇", "小水镇", "公平圩镇", "南京镇", "新市镇", "遥田镇", "黄市镇", "仁义镇", "马水镇",
                        "永济镇", "亮源乡", "太平圩镇", "余庆乡", "东湖圩镇", "长坪乡", "竹市镇", "沙明乡", "洲陂乡",
                        "上架乡", "南阳镇", "坛下乡"],
            sessionName: "十届七次会议", sessionMonth: 1, sessionDay: 20, sessionDays: 4,
            filedAtSession: 65, filedBetweenSessions: 0,
            declined: 2, converted: 3, merged: 2, withdrawn: 1,
            returnedThenResubmitted: 2, unitReturns: 2, repliedLate: 0, extended: 0,
            satisfied: 49, basic: 8, unsatisfied: 0, notEvaluated: 0, consultations: 0,
            keyProposals: 5,
            featured: [
                Featured("关于规范城区物业管理的建议", .urbanRural, lead: "住建局", co: ["城管局"]),
                Featured("关于规范民办教育发展的建议", .educationCulture, lead: "教育局", co: ["市场监管局"]),
                Featured("关于加强城市渣土管理的建议", .urbanRural, lead: "城管局", co: ["交通运输局", "公安局"]),
                Featured("关于加快应急管理体系建设的建议", .politicsLaw, lead: "应急管理局"),
                Featured("关于落实油茶产业扶持政策的建议", .agriculture, lead: "林业局", co: ["农业农村局"]),
                Featured("关于完善公共文化服务体系的建议", .educationCulture, lead: "文旅广体局"),
                Featured("关于加快培兰广场片区开发建设的建议", .urbanRural, lead: "城农投公司", co: ["自然资源局"]),
                Featured("关于消除灶哲路与富民路交叉口安全隐患的建议", .politicsLaw, lead: "公安局", co: ["交通运输局"]),
                Featured("关于加快铜锣洲项目建设的建议", .economy, lead: "发改局"),
                Featured("关于推进五里牌居委会棚改项目的建议", .urbanRural, lead: "住建局"),
            ],
            microSuggestions: 37, microSuggestionsLate: 0, microSuggestionsRejected: 0,
            onlineEvents: 13, dutyDays: 104,
            supervisedUnits: ["城管局", "应急管理局", "林业局", "文旅广体局", "城农投公司"],
            studiosOpened: 35, studiosTotal: 42,
            hosted: [
                Visit(peer: "昭平县政协", month: 4, day: 16, topic: "工业园区建设"),
                Visit(peer: "常宁市政协", month: 6, day: 10, topic: "红色旅游发展"),
                Visit(peer: "麻城市政协", month: 9, day: 24, topic: "油茶产业发展"),
            ],
            visited: [
                Visit(peer: "永州市零陵区政协", month: 5, day: 20, topic: "民主协商监督"),
                Visit(peer: "郴州市临武县政协", month: 10, day: 28, topic: "委员工作室及政协云工作经验"),
            ],
            seed: 0x4C45_4959_414E_4721)
    }

    /// 常宁市 (衡阳市, 湖南): larger, a few late replies and unsatisfied ratings.
    public static func changning2021() -> DemoProfile {
        DemoProfile(
            countyName: "常宁市",
            sectors: ["中共", "民主党派", "无党派人士", "工商联", "经济界", "农业界", "教育界", "医药卫生界", "文化艺术界",
                      "社会福利和社会保障界", "少数民族和宗教界", "特邀"],
            memberCount: 198,
            units: commonUnits + ["城发公司"],
            townships: ["宜阳街道", "泉峰街道", "培元街道", "水口山镇", "松柏镇", "柏坊镇", "烟洲镇", "荫田镇", "白沙镇",
                        "西岭镇", "罗桥镇", "胜桥镇", "庙前镇", "洋泉镇", "大堡乡", "蓬塘乡", "塔山瑶族乡", "兰江乡"],
            sessionName: "十届五次会议", sessionMonth: 2, sessionDay: 1, sessionDays: 4,
            filedAtSession: 132, filedBetweenSessions: 14,
            declined: 5, converted: 6, merged: 4, withdrawn: 3,
            returnedThenResubmitted: 4, unitReturns: 3, repliedLate: 6, extended: 4,
            satisfied: 95, basic: 27, unsatisfied: 4, notEvaluated: 2, consultations: 1,
            keyProposals: 8,
            featured: [
                Featured("关于推动水口山有色金属产业转型升级的建议", .economy, lead: "发改局", co: ["生态环境局"]),
                Featured("关于保护传承常宁版画的建议", .educationCulture, lead: "文旅广体局"),
                Featured("关于做强常宁油茶产业的建议", .agriculture, lead: "林业局", co: ["农业农村局"]),
                Featured("关于加快城区老旧小区改造的建议", .urbanRural, lead: "住建局", co: ["财政局"]),
            ],
            microSuggestions: 58, microSuggestionsLate: 5, microSuggestionsRejected: 2,
            onlineEvents: 9, dutyDays: 76,
            supervisedUnits: ["住建局", "教育局", "交通运输局"],
            studiosOpened: 6, studiosTotal: 18,
            hosted: [Visit(peer: "衡南县政协", month: 3, day: 25, topic: "政协云平台建设")],
            visited: [Visit(peer: "耒阳市政协", month: 6, day: 10, topic: "红色旅游发展")],
            seed: 0x4348_414E_474E_4921)
    }

    /// 临武县 (郴州市, 湖南): a small county known for its studios and online duty (the seed's
    /// committee visited it to learn from them).
    public static func linwu2021() -> DemoProfile {
        DemoProfile(
            countyName: "临武县",
            sectors: ["中共", "民主党派和无党派人士", "工商联", "经济界", "农业界", "教育界", "医药卫生界", "文化体育界",
                      "社会福利和社会保障界", "特邀"],
            memberCount: 142,
            units: commonUnits + ["城投公司"],
            townships: ["舜峰镇", "金江镇", "麦市镇", "水东镇", "楚江镇", "武水镇", "汾市镇", "南强镇", "香花镇", "镇南乡",
                        "万水乡", "双溪乡", "花塘乡"],
            sessionName: "十届五次会议", sessionMonth: 1, sessionDay: 26, sessionDays: 3,
            filedAtSession: 88, filedBetweenSessions: 9,
            declined: 3, converted: 4, merged: 2, withdrawn: 2,
            returnedThenResubmitted: 2, unitReturns: 1, repliedLate: 4, extended: 2,
            satisfied: 63, basic: 18, unsatisfied: 3, notEvaluated: 2, consultations: 1,
            keyProposals: 5,
            featured: [
                Featured("关于打响临武鸭地理标志品牌的建议", .agriculture, lead: "农业农村局", co: ["市场监管局"]),
                Featured("关于推进矿山生态修复的建议", .ecology, lead: "自然资源局", co: ["生态环境局"]),
                Featured("关于加快县城污水管网建设的建议", .urbanRural, lead: "住建局"),
            ],
            microSuggestions: 44, microSuggestionsLate: 3, microSuggestionsRejected: 1,
            onlineEvents: 24, dutyDays: 168,
            supervisedUnits: ["自然资源局", "生态环境局", "卫健局", "教育局"],
            studiosOpened: 8, studiosTotal: 46,
            hosted: [
                Visit(peer: "宜章县政协", month: 7, day: 8, topic: "委员工作室建设"),
                Visit(peer: "衡阳市耒阳市政协", month: 10, day: 28, topic: "委员工作室及政协云工作经验"),
            ],
            visited: [],
            seed: 0x4C49_4E57_5521)
    }

    /// 零陵区 (永州市, 湖南): a district with strong democratic supervision.
    public static func lingling2021() -> DemoProfile {
        DemoProfile(
            countyName: "零陵区",
            sectors: ["中共", "民主党派", "无党派人士", "工商联", "经济界", "农业界", "教育界", "科技界", "医药卫生界",
                      "文化艺术界", "社会福利和社会保障界"],
            memberCount: 176,
            units: commonUnits + ["城建投公司"],
            townships: ["七里店街道", "徐家井街道", "南津渡街道", "朝阳街道", "接履桥街道", "石山脚街道", "富家桥镇", "珠山镇",
                        "黄田铺镇", "石岩头镇", "邮亭圩镇", "菱角塘镇", "梳子铺乡", "大庆坪乡", "凼底乡"],
            sessionName: "九届五次会议", sessionMonth: 1, sessionDay: 12, sessionDays: 4,
            filedAtSession: 104, filedBetweenSessions: 12,
            declined: 4, converted: 5, merged: 3, withdrawn: 2,
            returnedThenResubmitted: 3, unitReturns: 2, repliedLate: 3, extended: 3,
            satisfied: 79, basic: 19, unsatisfied: 2, notEvaluated: 2, consultations: 0,
            keyProposals: 7,
            featured: [
                Featured("关于保护利用柳子庙历史文化街区的建议", .educationCulture, lead: "文旅广体局", co: ["住建局"]),
                Featured("关于推进潇水河道生态治理的建议", .ecology, lead: "水利局", co: ["生态环境局"]),
                Featured("关于加快零陵古城保护开发的建议", .urbanRural, lead: "住建局", co: ["文旅广体局"]),
            ],
            microSuggestions: 51, microSuggestionsLate: 2, microSuggestionsRejected: 1,
            onlineEvents: 11, dutyDays: 92,
            supervisedUnits: ["住建局", "水利局", "生态环境局", "教育局", "卫健局", "市场监管局", "城建投公司"],
            studiosOpened: 10, studiosTotal: 30,
            hosted: [Visit(peer: "衡阳市耒阳市政协", month: 5, day: 20, topic: "民主协商监督")],
            visited: [Visit(peer: "祁阳县政协", month: 9, day: 9, topic: "提案办理协商")],
            seed: 0x4C49_4E47_4C49_4E47)
    }

    /// 昭平县 (贺州市, 广西): small, more late replies and two consultations.
    public static func zhaoping2021() -> DemoProfile {
        DemoProfile(
            countyName: "昭平县",
            sectors: ["中共", "民主党派和无党派人士", "工商联", "经济界", "农业界", "教育界", "医药卫生界", "少数民族界", "特邀"],
            memberCount: 128,
            units: commonUnits + ["城投公司"],
            townships: ["昭平镇", "黄姚镇", "文竹镇", "走马镇", "北陀镇", "马江镇", "五将镇", "樟木林镇", "富罗镇", "凤凰乡",
                        "仙回瑶族乡", "木格乡"],
            sessionName: "十届五次会议", sessionMonth: 1, sessionDay: 18, sessionDays: 3,
            filedAtSession: 72, filedBetweenSessions: 6,
            declined: 2, converted: 3, merged: 1, withdrawn: 2,
            returnedThenResubmitted: 2, unitReturns: 1, repliedLate: 7, extended: 2,
            satisfied: 45, basic: 19, unsatisfied: 4, notEvaluated: 2, consultations: 2,
            keyProposals: 4,
            featured: [
                Featured("关于打造黄姚古镇旅游品牌的建议", .educationCulture, lead: "文旅广体局", co: ["交通运输局"]),
                Featured("关于做强昭平茶产业的建议", .agriculture, lead: "农业农村局", co: ["市场监管局"]),
                Featured("关于加强桂江流域生态保护的建议", .ecology, lead: "生态环境局", co: ["水利局"]),
            ],
            microSuggestions: 21, microSuggestionsLate: 4, microSuggestionsRejected: 1,
            onlineEvents: 6, dutyDays: 40,
            supervisedUnits: ["交通运输局", "文旅广体局"],
            studiosOpened: 5, studiosTotal: 12,
            hosted: [],
            visited: [Visit(peer: "湖南省耒阳市政协", month: 4, day: 16, topic: "工业园区建设")],
            seed: 0x5A48_414F_5049_4E47)
    }

    /// 麻城市 (黄冈市, 湖北): the largest, many between-session proposals and micro-suggestions.
    public static func macheng2021() -> DemoProfile {
        DemoProfile(
            countyName: "麻城市",
            sectors: ["中共", "民革", "民盟", "民建", "无党派人士", "工商联", "经济界", "农业界", "教育界", "科技界",
                      "医药卫生界", "文化艺术界", "社会福利和社会保障界", "特邀"],
            memberCount: 248,
            units: commonUnits + ["城投公司"],
            townships: ["龙池桥街道", "鼓楼街道", "南湖街道", "中馆驿镇", "宋埠镇", "歧亭镇", "夫子河镇", "白果镇", "木子店镇",
                        "福田河镇", "乘马岗镇", "顺河镇", "黄土岗镇", "三河口镇", "盐田河镇", "龟山镇", "张家畈镇"],
            sessionName: "九届五次会议", sessionMonth: 1, sessionDay: 6, sessionDays: 4,
            filedAtSession: 168, filedBetweenSessions: 20,
            declined: 6, converted: 8, merged: 5, withdrawn: 4,
            returnedThenResubmitted: 5, unitReturns: 3, repliedLate: 9, extended: 5,
            satisfied: 120, basic: 36, unsatisfied: 6, notEvaluated: 3, consultations: 1,
            keyProposals: 10,
            featured: [
                Featured("关于做强麻城福白菊产业的建议", .agriculture, lead: "农业农村局", co: ["市场监管局"]),
                Featured("关于加快龟峰山景区提质升级的建议", .educationCulture, lead: "文旅广体局", co: ["交通运输局"]),
                Featured("关于保护利用麻城红色文化资源的建议", .educationCulture, lead: "文旅广体局"),
                Featured("关于推进石材产业绿色发展的建议", .economy, lead: "发改局", co: ["生态环境局", "自然资源局"]),
            ],
            microSuggestions: 86, microSuggestionsLate: 7, microSuggestionsRejected: 3,
            onlineEvents: 18, dutyDays: 130,
            supervisedUnits: ["教育局", "卫健局", "城管局", "农业农村局"],
            studiosOpened: 14, studiosTotal: 36,
            hosted: [Visit(peer: "红安县政协", month: 11, day: 12, topic: "委员履职管理")],
            visited: [Visit(peer: "湖南省耒阳市政协", month: 9, day: 24, topic: "油茶产业发展")],
            seed: 0x4D41_4348_454E_4721)
    }
}
