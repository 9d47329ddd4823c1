import Workflow

/// The fragments the demo generator builds its Chinese texts from: proposal topics with the
/// units that handle them, names, notes and replies. `@company` stands for the county's state
/// company (the profile's unit ending in 公司); `{town}` for one of its townships.
enum DemoCatalog {
    struct Topic: Sendable {
        let phrase: String
        let category: ProposalCategory
        /// The lead unit first, then units that may co-handle.
        let units: [String]
        init(_ phrase: String, _ category: ProposalCategory, _ units: [String]) {
            self.phrase = phrase
            self.category = category
            self.units = units
        }
    }

    static let topics: [Topic] = [
        // 经济建设
        Topic("优化县域营商环境", .economy, ["发改局", "市场监管局", "司法局"]),
        Topic("加快工业园区基础设施建设", .economy, ["发改局", "自然资源局", "@company"]),
        Topic("破解中小微企业融资难题", .economy, ["财政局", "发改局"]),
        Topic("促进民营经济高质量发展", .economy, ["发改局", "市场监管局"]),
        Topic("推动招商引资项目落地见效", .economy, ["发改局", "自然资源局"]),
        Topic("盘活闲置厂房和低效用地", .economy, ["自然资源局", "发改局"]),
        Topic("发展县域商贸物流", .economy, ["发改局", "交通运输局"]),
        Topic("规范涉企检查减轻企业负担", .economy, ["市场监管局", "司法局"]),
        Topic("培育特色产业集群", .economy, ["发改局", "农业农村局"]),
        Topic("加强国有平台公司融资管理", .economy, ["财政局", "@company"]),
        Topic("推进政务服务“一件事一次办”", .economy, ["发改局", "司法局"]),
        // 城乡建设
        Topic("规范城区物业管理", .urbanRural, ["住建局", "城管局"]),
        Topic("推进老旧小区改造", .urbanRural, ["住建局", "财政局"]),
        Topic("缓解城区停车难问题", .urbanRural, ["城管局", "公安局"]),
        Topic("整治背街小巷环境", .urbanRural, ["城管局", "住建局"]),
        Topic("规划建设建筑垃圾消纳场", .urbanRural, ["城管局", "自然资源局"]),
        Topic("完善城区排水防涝设施", .urbanRural, ["住建局", "水利局"]),
        Topic("加快棚户区改造项目建设", .urbanRural, ["住建局", "@company"]),
        Topic("加强农村公路养护管理", .urbanRural, ["交通运输局", "财政局"]),
        Topic("推进城乡供水一体化", .urbanRural, ["水利局", "住建局"]),
        Topic("规范农村建房管理", .urbanRural, ["自然资源局", "住建局"]),
        Topic("优化城区公交线路", .urbanRural, ["交通运输局", "@company"]),
        Topic("加快城区农贸市场提质改造", .urbanRural, ["市场监管局", "城管局", "@company"]),
        // 社会民生
        Topic("完善居家和社区养老服务", .livelihood, ["民政局", "卫健局"]),
        Topic("提升基层医疗卫生服务能力", .livelihood, ["卫健局", "财政局"]),
        Topic("加强农村留守儿童关爱保护", .livelihood, ["民政局", "教育局"]),
        Topic("做好高校毕业生就业服务", .livelihood, ["人社局", "教育局"]),
        Topic("加强食品安全监管", .livelihood, ["市场监管局", "卫健局"]),
        Topic("完善城乡困难群众救助体系", .livelihood, ["民政局", "财政局"]),
        Topic("加快城区公共厕所建设", .livelihood, ["城管局", "住建局"]),
        Topic("保障农民工工资按时足额支付", .livelihood, ["人社局", "住建局"]),
        Topic("推进残疾人康复服务", .livelihood, ["民政局", "卫健局"]),
        Topic("加强城区电动自行车充电设施建设", .livelihood, ["住建局", "应急管理局"]),
        // 教育文化
        Topic("规范校外培训机构管理", .educationCulture, ["教育局", "市场监管局"]),
        Topic("化解城区学校大班额问题", .educationCulture, ["教育局", "自然资源局"]),
        Topic("加强乡村教师队伍建设", .educationCulture, ["教育局", "人社局"]),
        Topic("保护利用红色文化资源", .educationCulture, ["文旅广体局"]),
        Topic("做好中小学课后服务", .educationCulture, ["教育局"]),
        Topic("加强全民健身设施建设", .educationCulture, ["文旅广体局", "住建局"]),
        Topic("推动职业教育发展", .educationCulture, ["教育局", "人社局"]),
        Topic("加强非物质文化遗产保护", .educationCulture, ["文旅广体局"]),
        Topic("发展全域旅游", .educationCulture, ["文旅广体局", "交通运输局"]),
        Topic("加强中小学生心理健康教育", .educationCulture, ["教育局", "卫健局"]),
        // 生态环境
        Topic("加强河道生态治理", .ecology, ["水利局", "生态环境局"]),
        Topic("推进城乡生活垃圾分类", .ecology, ["城管局", "生态环境局"]),
        Topic("改善农村人居环境", .ecology, ["农业农村局", "生态环境局"]),
        Topic("加强废弃矿山生态修复", .ecology, ["自然资源局", "生态环境局"]),
        Topic("做好大气污染防治", .ecology, ["生态环境局", "住建局"]),
        Topic("保护饮用水水源地", .ecology, ["生态环境局", "水利局"]),
        Topic("加强森林防火", .ecology, ["林业局", "应急管理局"]),
        Topic("提升城区园林绿化水平", .ecology, ["城管局", "林业局"]),
        Topic("治理畜禽养殖污染", .ecology, ["生态环境局", "农业农村局"]),
        // 农业农村
        Topic("加快高标准农田建设", .agriculture, ["农业农村局", "自然资源局"]),
        Topic("打造农产品区域公用品牌", .agriculture, ["农业农村局", "市场监管局"]),
        Topic("发展农村电子商务", .agriculture, ["农业农村局", "发改局"]),
        Topic("完善农田水利设施", .agriculture, ["水利局", "农业农村局"]),
        Topic("壮大村级集体经济", .agriculture, ["农业农村局", "财政局"]),
        Topic("加强乡村振兴人才队伍建设", .agriculture, ["农业农村局", "人社局"]),
        Topic("巩固拓展脱贫攻坚成果", .agriculture, ["农业农村局", "民政局"]),
        Topic("遏制耕地“非农化”", .agriculture, ["自然资源局", "农业农村局"]),
        Topic("扶持油茶低产林改造", .agriculture, ["林业局", "财政局"]),
        // 政治法治
        Topic("加强基层社会治理", .politicsLaw, ["民政局", "公安局", "司法局"]),
        Topic("健全矛盾纠纷多元化解机制", .politicsLaw, ["司法局", "公安局"]),
        Topic("防范电信网络诈骗", .politicsLaw, ["公安局"]),
        Topic("加强安全生产监管", .politicsLaw, ["应急管理局", "市场监管局"]),
        Topic("整治重点路段交通安全隐患", .politicsLaw, ["公安局", "交通运输局"]),
        Topic("加强法治宣传教育", .politicsLaw, ["司法局", "教育局"]),
        Topic("推进村级议事协商", .politicsLaw, ["民政局", "司法局"]),
        // 其他
        Topic("推进志愿服务制度化", .other, ["民政局"]),
        Topic("加强地方志编纂和利用", .other, ["文旅广体局", "财政局"]),
        Topic("推进政务数据共享", .other, ["发改局", "财政局"]),
    ]

    /// Local topics: `{town}` is a township of the county.
    static let townTopics: [Topic] = [
        Topic("改善{town}集镇供水条件", .urbanRural, ["水利局", "住建局"]),
        Topic("加快{town}至城区公路提质改造", .urbanRural, ["交通运输局", "财政局"]),
        Topic("规划建设{town}农贸市场", .livelihood, ["市场监管局", "住建局"]),
        Topic("解决{town}中心学校学位紧张问题", .educationCulture, ["教育局", "财政局"]),
        Topic("整治{town}境内河道污染", .ecology, ["生态环境局", "水利局"]),
        Topic("扶持{town}特色种养产业", .agriculture, ["农业农村局", "财政局"]),
        Topic("提升{town}卫生院服务能力", .livelihood, ["卫健局", "财政局"]),
        Topic("规范{town}集镇交通秩序", .politicsLaw, ["公安局", "城管局"]),
        Topic("完善{town}集镇污水处理设施", .ecology, ["住建局", "生态环境局"]),
        Topic("修复{town}水毁农田和山塘", .agriculture, ["水利局", "农业农村局"]),
    ]

    /// Verbs "进一步" and "切实" may stand before.
    static let furtherVerbs = ["加强", "规范", "完善", "优化", "推进", "提升", "做好", "保护", "促进", "改善"]
    static let earnestVerbs = ["加强", "做好", "保护", "规范", "解决", "改善"]

    /// Titles of proposals the office declines, with the reason and its notice.
    static let declined: [(reason: DeclineReason, title: String, note: String)] = [
        (.personalMatter, "关于解决本人房屋产权纠纷的建议", "反映个人事项，不予立案，建议通过信访渠道反映"),
        (.noConcreteProposal, "关于经济社会发展的几点思考", "无具体建议内容，不予立案"),
        (.outsideCompetence, "关于调整高速公路收费标准的建议", "不属于本级职权范围，不予立案，已转报上级政协"),
        (.inLitigation, "关于某小区开发商逾期交房问题的建议", "所涉事项正在诉讼中，不予立案"),
        (.productPromotion, "关于推广使用某品牌净水设备的建议", "涉及产品推销，不予立案"),
        (.personalMatter, "关于为亲属落实工作岗位的建议", "反映个人事项，不予立案"),
        (.noConcreteProposal, "关于加强各方面工作的建议", "案由宽泛、无具体办法，不予立案"),
        (.outsideCompetence, "关于修改个人所得税起征点的建议", "属国家事权，不予立案"),
    ]

    /// Small issues the office converts to 社情民意 / opinions.
    static let converted: [String] = [
        "关于修复{town}某路段破损路灯的建议", "关于在{town}农贸市场门口增设停车位的建议",
        "关于清理{town}小区楼道堆放杂物的建议", "关于{town}某小区电梯维修的建议", "关于增设{town}公交站台遮雨棚的建议",
        "关于疏通{town}某路段排水沟的建议", "关于规范{town}夜市经营时间的建议",
    ]

    static let convertNotes = ["转为社情民意信息报送", "事项较小，转为意见建议交有关部门研究", "转交微建议渠道办理"]
    static let returnNotes = ["一事一案，请拆分后重新提交", "案由不清，请补充调研情况和具体办法", "请补充问题的具体情况后重新提交"]
    static let withdrawReasons = ["所提问题已在会前解决，提案人申请撤回", "提案人申请撤回，拟补充调研后再行提出", "提案人申请撤回，与其他委员联名另行提出"]
    static let unitReturnReasons = ["所提事项不属本单位职责，请重新交办", "主要职能在其他部门，申请退回改派"]

    static let replyTexts: [ReplyCategory: [String]] = [
        .a: ["经研究，所提建议已采纳，相关工作已落实到位。", "所提问题已解决，已出台具体措施并组织实施。", "建议已采纳，专项资金已安排到位，项目已完工。"],
        .b: ["所提建议已列入年度工作计划，正在分步实施。", "问题正在解决，已制定工作方案，预计年内完成。", "已纳入“十四五”规划项目库，正在推进前期工作。"],
        .c: ["受资金和政策条件限制，暂不能解决，已向提案人当面说明。", "因涉及上级审批，目前条件尚不具备，将积极争取支持。"],
        .d: ["所提建议留作参考，将在今后工作中统筹考虑。", "建议具有参考价值，留作今后决策参考。"],
    ]
    static let opinionTexts = ["同意主办单位意见，将积极配合落实。", "已提出会办意见：建议统筹资金、分步实施。", "会办意见已送主办单位，本单位负责相关配合工作。"]
    static let unsatisfiedComments = ["答复未提出具体解决措施，建议重新办理", "办理流于形式，未与提案人沟通", "答复内容与提案所提问题不符"]
    static let evaluationComments = ["答复及时，措施具体", "办理态度认真，当面沟通", "希望持续跟踪落实"]
    static let consultOutcomes = [
        "经面对面协商，承办单位承诺列入明年计划，提案人表示理解",
        "协商后明确分步解决方案和时间表，提案人同意办结",
    ]
    static let supervisionNotes: [SupervisionKind: [String]] = [
        .meeting: ["召开重点提案督办协商会", "听取承办单位办理情况汇报"],
        .siteVisit: ["实地察看项目推进情况", "深入现场督办，走访群众"],
    ]

    // Micro-suggestions: a concrete small issue, routed to one unit.
    static let suggestionFacilities: [(facility: String, unit: String)] = [
        ("减速带", "公安局"), ("交通信号灯", "公安局"), ("路灯", "城管局"), ("公交站台", "交通运输局"),
        ("垃圾分类收集点", "城管局"), ("公共厕所", "城管局"), ("停车位", "城管局"), ("人行道护栏", "交通运输局"),
        ("无障碍通道", "住建局"), ("健身器材", "文旅广体局"),
    ]
    static let suggestionIssues: [(issue: String, unit: String)] = [
        ("路面坑洼积水", "交通运输局"), ("排水沟堵塞", "住建局"), ("路灯长期不亮", "城管局"), ("垃圾清运不及时", "城管局"),
        ("夜间施工噪音扰民", "生态环境局"), ("占道经营", "城管局"), ("饮用水水压不足", "水利局"), ("学校门口交通拥堵", "公安局"),
        ("农贸市场秤不准", "市场监管局"), ("村道边坡塌方", "自然资源局"),
    ]
    static let suggestionPlaces = ["集镇", "中心小学门口", "农贸市场", "卫生院旁", "客运站", "主干道", "安置小区", "村部"]
    static let suggestionReplies = ["已安排人员现场处理完毕", "已纳入近期维修计划并完成施工", "已会同属地乡镇处理到位", "已现场核实并整改"]
    static let rejectReasons = ["不属于微建议受理范围，建议通过信访渠道反映", "内容与已办理事项重复"]

    static let onlineEventNotes = [
        "政协云平台网络议政：规范物业管理", "政协云平台网络议政：民办教育发展", "委员线上履职培训", "线上协商：优化营商环境",
        "线上协商：乡村振兴", "“我为群众办实事”线上征集", "政协云平台委员读书活动", "线上协商：城市渣土管理",
        "线上视察：重点项目建设", "线上协商：公共文化服务", "党史学习教育线上专题学习", "线上协商：应急管理体系建设",
        "线上协商：油茶产业发展", "线上委员讲堂", "线上民主监督：提案办理", "线上协商：“十四五”规划",
    ]
    static let supervisionGroupNotes = ["派驻民主监督小组，监督提案办理落实情况", "民主监督小组就存在的问题、困难和工作计划开展协商讨论"]

    static let surnames = [
        "刘", "李", "王", "陈", "张", "谢", "罗", "周", "曾", "彭", "黄", "邓", "贺", "谭", "唐", "蒋", "资", "伍", "梁",
        "肖", "胡", "廖", "何", "段", "徐", "吴", "欧阳", "龙", "曹", "邹", "许", "郭", "赵", "雷", "袁", "阳", "文", "钟",
        "聂", "朱",
    ]
    static let givenCharacters = [
        "建", "国", "华", "明", "军", "伟", "平", "红", "丽", "芳", "志", "强", "文", "勇", "辉", "斌", "杰", "涛", "敏",
        "艳", "霞", "林", "春", "海", "波", "峰", "云", "静", "玲", "婷", "俊", "鹏", "飞", "宇", "新", "东", "亮", "光",
        "金", "玉", "兰", "英", "秀", "德", "荣", "湘", "学", "思", "益", "安", "卫", "忠", "长", "庆", "永", "福", "清",
        "芬", "娟", "琴", "燕", "丹", "慧", "超", "磊", "刚", "勤", "宏", "晖", "振",
    ]

    /// 2021 public holidays on weekdays and make-up working weekends (国务院办公厅 2020-11-25).
    static let calendar2021: [(day: String, kind: String)] = [
        ("2021-01-01", "holiday"),
        ("2021-02-07", "workday"), ("2021-02-11", "holiday"), ("2021-02-12", "holiday"), ("2021-02-15", "holiday"),
        ("2021-02-16", "holiday"), ("2021-02-17", "holiday"), ("2021-02-20", "workday"),
        ("2021-04-05", "holiday"),
        ("2021-04-25", "workday"), ("2021-05-03", "holiday"), ("2021-05-04", "holiday"), ("2021-05-05", "holiday"),
        ("2021-05-08", "workday"),
        ("2021-06-14", "holiday"),
        ("2021-09-18", "workday"), ("2021-09-20", "holiday"), ("2021-09-21", "holiday"),
        ("2021-09-26", "workday"), ("2021-10-01", "holiday"), ("2021-10-04", "holiday"), ("2021-10-05", "holiday"),
        ("2021-10-06", "holiday"), ("2021-10-07", "holiday"), ("2021-10-09", "workday"),
    ]
}
