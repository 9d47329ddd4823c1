/// Passwords people pick most, in the world's published lists (rockyou, the top-10,000 lists)
/// and China's (the 2011 CSDN leak's and later ones: 5201314, woaini1314, qq123456 …), with
/// this deployment's own names. Checked lower-cased, also with digits and symbols at the ends
/// removed (PasswordRules).
enum CommonPasswords {
    static let set: Set<String> = [
        "!qaz2wsx", "000000", "111111", "11111111", "112233", "11223344", "121212", "123123",
        "123321", "12341234", "12345", "123456", "1234567", "12345678", "123456789", "1234567890",
        "123456789a", "123456a", "123456aa", "1234qwer", "123abc", "123qwe", "1314520", "1314521",
        "147258", "147258369", "147852369", "159357", "1q2w3e4r", "1q2w3e4r5t", "1q2w3e4r5t6y", "1qaz2wsx",
        "1qaz2wsx3edc", "1qaz@wsx", "1qazxsw2", "321654987", "456123", "456789", "5201314", "520520",
        "654321", "666666", "66666666", "741852963", "7758521", "789456123", "888888", "88888888",
        "963852741", "987654321", "999999", "a123456", "a12345678", "a1b2c3d4", "aa123456", "abc123",
        "abc123456", "abcd1234", "abcd123456", "access", "access123", "admin", "admin123", "admin1234",
        "admin2024", "admin2025", "admin2026", "administrator", "aini1314", "amanda", "andrew", "angel",
        "angel123", "apple", "asd123", "asd123456", "asdf1234", "asdfasdf", "asdfghjkl", "asdqwe123",
        "ashley", "autumn", "autumn2026", "baidu", "baseball", "baseball1", "batman", "beijing",
        "buster", "changeme", "charlie", "charlie1", "china", "china123", "computer", "cookie",
        "daniel", "database", "december", "default", "dragon", "dragon123", "facebook", "flower",
        "flower123", "football", "football1", "freedom", "friday", "george", "ginger", "gongzuo",
        "google", "guest", "haoren", "harley", "hello", "hello123", "hockey", "huang123",
        "hunter", "iloveyou", "iloveyou1", "iloveyou2", "internet", "january", "jennifer", "jessica",
        "jiayou", "jiayou123", "jordan", "joshua", "killer", "letmein", "letmein1", "letmein123",
        "linkedin", "linux", "liuyang", "liwei", "login", "love123", "lovely", "loveyou",
        "maggie", "master", "matthew", "michael", "michael1", "michelle", "microsoft", "mima123",
        "mimamima", "monday", "monkey", "monkey123", "mustang", "mysql", "nicole", "nihao",
        "nihao123", "ninja", "oracle", "p@ssw0rd", "p@ssw0rd1", "p@ssword", "passw0rd", "passw0rd1",
        "password", "password1", "password123", "password1234", "password2024", "password2025", "password2026", "pepper",
        "pokemon", "postgres", "postgresql", "princess", "princess1", "q1w2e3r4", "q1w2e3r4t5", "qazwsx",
        "qazwsxedc", "qq123456", "qwaszx", "qwe123", "qwe123456", "qweasd", "qweasd123", "qweasdzxc",
        "qwer1234", "qwerty", "qwerty123", "qwerty1234", "qwertyuiop", "ranger", "robert", "root",
        "samsung", "secret", "secret123", "shadow", "shanghai", "soccer", "spring", "spring2026",
        "starwars", "starwars1", "summer", "summer2026", "sunday", "sunshine", "superman", "superman1",
        "sweety", "taobao", "test", "test123", "testing", "thomas", "tian", "tian123",
        "tiantian", "tigger", "tongxin", "tongxin123", "toor", "trustno1", "ubuntu", "wangfang",
        "wangwei", "welcome", "welcome1", "welcome123", "welcome2024", "welcome2025", "welcome2026", "whatever",
        "windows", "winter", "winter2026", "woaini", "woaini1314", "woaini520", "woaiwojia", "wodemima",
        "wohenhao", "xiaoming", "xiaoxiao", "yahoo", "yiersan", "zaq12wsx", "zaq1xsw2", "zhangjie",
        "zhangwei", "zhengxie", "zhengxie123", "zhongguo", "zhongguo123", "zxc123", "zxc123456", "zxcvbn",
        "zxcvbnm",
    ]
}
