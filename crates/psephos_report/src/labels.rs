//! Every word the report writes, in English and Arabic, from one table: a label missing in one
//! language does not compile.
//!
//! `{0}`, `{1}`, ... are filled with numbers or names (see [`fill`]); text between backticks is
//! a command, shown as code and never translated. Arabic avoids number-agreeing nouns after a
//! figure ("المقاعد: ٣٢٩" rather than "٣٢٩ مقعدًا"), so one label serves every count.

macro_rules! labels {
    ($($key:ident: $en:literal, $ar:literal;)*) => {
        /// The report's words in one language.
        #[derive(Debug)]
        pub struct Labels {
            $(pub $key: &'static str,)*
        }

        /// English.
        pub const EN: Labels = Labels { $($key: $en,)* };

        /// Arabic (Iraqi usage where it differs: governorate, district, Iraqi month names).
        pub const AR: Labels = Labels { $($key: $ar,)* };

        /// Every label as (name, English, Arabic), for tests.
        #[cfg(test)]
        pub(crate) const ALL: &[(&str, &str, &str)] = &[$((stringify!($key), $en, $ar),)*];
    };
}

labels! {
    report_title: "Results report", "تقرير النتائج";
    skip_to_contents: "Contents", "المحتويات";
    date: "Election day", "يوم الاقتراع";
    country: "Country", "البلد";
    election_id: "Election", "الانتخابات";
    status_complete: "Final count: every station has reported ({0} of {1}).", "العدّ النهائي: أبلغت جميع المحطات ({0} من {1}).";
    status_provisional: "Provisional: {0} of {1} stations have reported; seats may still change.", "نتائج أولية: أبلغت {0} من أصل {1} من المحطات، وقد تتغيّر المقاعد.";

    sec_seats: "Seats", "المقاعد";
    sec_blocs: "Seats and votes by bloc and party", "المقاعد والأصوات حسب التحالف والحزب";
    sec_turnout: "Turnout and reporting", "المشاركة وتقدّم الإبلاغ";
    sec_quotas: "Reserved seats and quota rules", "المقاعد المحجوزة وقواعد الكوتا";
    sec_reconciliation: "Reconciliation of counting phases", "مطابقة مراحل العدّ";
    sec_audit: "Risk-limiting audit", "التدقيق المحدِّد للمخاطر";
    sec_forensics: "Forensic tests", "الفحوص الإحصائية الجنائية";
    sec_ledger: "Ledger and verification", "السجلّ والتحقّق";
    sec_districts: "Results by district", "النتائج حسب الدائرة الانتخابية";
    sec_about: "About this report", "حول هذا التقرير";

    hemicycle_title: "Seats by bloc (total {0})", "المقاعد حسب التحالف (المجموع {0})";
    hemicycle_desc: "Parliament diagram. Seats: {0}; rows: {1}. Blocs from the left: {2}.", "مخطط البرلمان. المقاعد: {0}؛ الصفوف: {1}. التحالفات من اليمين: {2}.";
    hemicycle_group: "{0}: {1} seats", "{0}: المقاعد {1}";
    hemicycle_none: "No seat has been allocated yet.", "لم يُوزَّع أي مقعد بعد.";
    legend_caption: "Legend: the blocs in the diagram's order, from the left", "دليل المخطط: التحالفات بترتيب المخطط، من اليمين";
    legend_note: "A bloc is a coalition, a party outside any coalition, or the independents. Each bloc has a colour and a mark (solid, striped or ring) that stay distinct in greyscale and for colour-blind readers; the positions count seats from the left end of the diagram.", "التحالف هو ائتلاف، أو حزب خارج أي ائتلاف، أو المستقلون. لكل تحالف لون وعلامة (مصمتة أو مخطّطة أو حلقة) تبقى مميّزة عند الطباعة بالأبيض والأسود ولمن لديهم عمى الألوان؛ وتُعدّ المواقع من الطرف الأيمن للمخطط.";
    col_mark: "Mark", "العلامة";
    col_bloc: "Bloc", "التحالف";
    col_bloc_party: "Bloc and party", "التحالف والحزب";
    col_seats: "Seats", "المقاعد";
    col_seat_share: "Share of seats", "نسبة المقاعد";
    col_votes: "Votes", "الأصوات";
    col_vote_share: "Share of votes", "نسبة الأصوات";
    col_positions: "Positions", "المواقع";
    col_women: "Women", "النساء";
    col_by_quota: "By quota", "بالكوتا";
    col_reserved: "Reserved", "محجوزة";
    total: "Total", "المجموع";
    independents: "Independents", "المستقلون";
    independent: "Independent", "مستقل";
    blocs_caption: "Seats and votes by bloc and party; shares of votes are of the valid votes for candidates ({0})", "المقاعد والأصوات حسب التحالف والحزب؛ نسب الأصوات من الأصوات الصحيحة للمرشحين ({0})";
    blocs_none: "No votes have been counted yet.", "لم تُعدّ أي أصوات بعد.";

    registered: "Registered voters", "الناخبون المسجّلون";
    registered_reporting: "Registered at the stations reporting", "المسجّلون في المحطات المُبلِغة";
    ballots_found: "Ballots found", "أوراق الاقتراع في الصناديق";
    turnout: "Turnout", "نسبة المشاركة";
    blank: "Blank ballots", "الأوراق البيضاء";
    invalid: "Invalid ballots", "الأوراق الباطلة";
    valid_votes: "Valid votes for candidates", "الأصوات الصحيحة للمرشحين";
    stations_reporting: "Stations reporting", "المحطات المُبلِغة";
    stations_held: "Stations held back (their latest form has errors)", "محطات معلّقة (في آخر استمارة لها أخطاء)";
    stations_missing: "Stations without a form", "محطات بلا استمارة";
    registered_missing: "Registered voters at stations without a form", "الناخبون المسجّلون في المحطات بلا استمارة";
    of: "{0} of {1}", "{0} من {1}";
    turnout_note: "Turnout is the ballots found over the registered voters of the stations reporting.", "نسبة المشاركة هي أوراق الاقتراع الموجودة في الصناديق مقسومةً على الناخبين المسجّلين في المحطات المُبلِغة.";
    policy: "Form counted for each station: {0}.", "الاستمارة المعتمدة لكل محطة: {0}.";
    policy_then: ", else ", "، وإلا ";
    phase_electronic: "electronic count", "العدّ الإلكتروني";
    phase_manual: "hand count", "العدّ اليدوي";
    phase_recount: "recount", "إعادة العدّ";
    phase_correction: "correction", "التصحيح";
    governorates_caption: "Turnout and reporting by governorate", "المشاركة والإبلاغ حسب المحافظة";
    col_governorate: "Governorate", "المحافظة";

    districts_intro: "One section per contest: the candidates by votes, who won each seat and why, and each seat's margin, the smallest change of votes that would give the seat to someone else.", "قسم لكل دائرة: المرشحون حسب الأصوات، ومن فاز بكل مقعد ولماذا، وهامش كل مقعد، أي أصغر تغيير في الأصوات يمنح المقعد لغير صاحبه.";
    contest_heading: "{0} ({1})", "{0} ({1})";
    system: "System", "النظام الانتخابي";
    system_sntv: "single non-transferable vote", "الصوت الواحد غير المتحوّل";
    system_list_pr: "list proportional representation, {0}", "التمثيل النسبي بالقوائم، {0}";
    system_ranked: "ranked ballots, {0}", "الاقتراع التفضيلي، {0}";
    formula_dhondt: "D'Hondt", "دي هونت";
    formula_sainte_lague: "Sainte-Laguë", "سانت ليغو";
    formula_modified_sainte_lague: "modified Sainte-Laguë, first divisor {0}", "سانت ليغو المعدَّل، القاسم الأول {0}";
    formula_imperiali: "Imperiali", "إمبريالي";
    formula_danish: "Danish divisors", "القواسم الدنماركية";
    formula_huntington_hill: "Huntington-Hill", "هنتنغتون-هيل";
    formula_adams: "Adams", "آدامز";
    formula_dean: "Dean", "دين";
    formula_hare: "Hare quota, largest remainders", "حصة هير وأكبر البواقي";
    formula_droop: "Droop quota, largest remainders", "حصة دروب وأكبر البواقي";
    formula_hagenbach_bischoff: "Hagenbach-Bischoff quota, largest remainders", "حصة هاغنباخ-بيشوف وأكبر البواقي";
    formula_hagenbach_bischoff_rounded: "Hagenbach-Bischoff quota (rounded), largest remainders", "حصة هاغنباخ-بيشوف (مقرَّبة) وأكبر البواقي";
    formula_imperiali_quota: "Imperiali quota, largest remainders", "حصة إمبريالي وأكبر البواقي";
    ranked_irv: "instant-runoff", "الجولة الفورية";
    ranked_stv: "single transferable vote", "الصوت الواحد المتحوّل";
    ranked_scottish_stv: "single transferable vote, Scottish rules", "الصوت الواحد المتحوّل، القواعد الاسكتلندية";
    ranked_meek: "single transferable vote, Meek's method", "الصوت الواحد المتحوّل، طريقة ميك";
    ranked_irish: "single transferable vote, Irish rules", "الصوت الواحد المتحوّل، القواعد الإيرلندية";
    reserved_for: "Reserved for", "مخصّص لـ";
    margin_smallest: "Smallest seat margin", "أصغر هامش للمقاعد";
    margin_diluted: "Diluted margin (margin ÷ ballots)", "الهامش المخفَّف (الهامش ÷ أوراق الاقتراع)";
    margin_none: "no change of votes in this contest changes its seats", "لا يغيّر أي تغيير في أصوات هذه الدائرة مقاعدها";
    margin_not_computed: "not computed for this system", "لا يُحسب لهذا النظام";
    candidates_caption: "Candidates of {0}, most votes first", "مرشحو {0}، الأكثر أصواتًا أولًا";
    col_rank: "Rank", "الترتيب";
    col_candidate: "Candidate", "المرشح";
    col_party: "Party", "الحزب";
    col_gender: "Gender", "الجنس";
    col_share: "Share", "النسبة";
    col_result: "Result", "النتيجة";
    col_margin: "Margin", "الهامش";
    gender_female: "woman", "امرأة";
    gender_male: "man", "رجل";
    gender_other: "other", "آخر";
    reason_rank: "elected on votes", "فوز بالأصوات";
    reason_quota: "elected under the quota rule, replacing {0}", "فوز بقاعدة الكوتا بدلًا من {0}";
    reason_quota_plain: "elected under the quota rule", "فوز بقاعدة الكوتا";
    reason_reserved: "won the reserved seat", "فوز بالمقعد المحجوز";
    reason_lot: "elected by lot after a tie", "فوز بالقرعة بعد تعادل";
    reason_leveling: "leveling seat", "مقعد تعويضي";
    reason_rcv: "elected in the ranked count", "فوز في العدّ التفضيلي";
    reason_list: "elected from the list", "فوز ضمن القائمة";
    margin_footnote: "Margin: the fewest votes added or removed that would take the seat (a ballot read for the wrong candidate counts as two). A dash: no such change exists within this contest.", "الهامش: أقل عدد من الأصوات يُضاف أو يُحذف فيأخذ المقعد (الورقة المقروءة لمرشح خاطئ تُحسب تغييرين). الشَّرطة: لا يوجد تغيير كهذا داخل الدائرة.";
    lists_caption: "Lists of {0}", "قوائم {0}";
    col_list: "List", "القائمة";
    col_lose_margin: "Margin to lose a seat", "هامش خسارة مقعد";
    quotas_caption: "Quota rules of {0}", "قواعد الكوتا في {0}";
    col_rule: "Rule", "القاعدة";
    col_minimum: "Minimum", "الحد الأدنى";
    col_won_on_votes: "Won on votes", "فوز بالأصوات";
    col_replacements: "Replacements", "الاستبدالات";
    col_unmet: "Unmet", "غير مستوفى";
    replaces: "{0} replaces {1}", "{0} بدلًا من {1}";
    none: "none", "لا يوجد";
    ties_caption: "Ties settled by lot in {0}", "تعادلات حُسمت بالقرعة في {0}";
    col_tied: "Tied candidates", "المرشحون المتعادلون";
    col_chosen: "Chosen by the lot", "من اختارتهم القرعة";
    col_seed: "Seed of the lot", "بذرة القرعة";
    empty_seats: "Seats left empty (fewer candidates than seats): {0}.", "مقاعد شاغرة (المرشحون أقل من المقاعد): {0}.";

    reserved_caption: "Reserved seats", "المقاعد المحجوزة";
    col_contest: "Contest", "الدائرة";
    col_winners: "Won by", "الفائز";
    reserved_none: "This election has no reserved seats.", "لا توجد مقاعد محجوزة في هذه الانتخابات.";
    quota_summary: "Across all contests: seats won by replacement under a quota rule, {0}; minimums unmet, {1}.", "في جميع الدوائر: المقاعد التي فيها استبدال بقاعدة الكوتا {0}؛ والحدود الدنيا غير المستوفاة {1}.";
    quota_caption: "Contests where a quota rule replaced a winner or could not be met", "الدوائر التي استبدلت فيها قاعدة الكوتا فائزًا أو لم تُستوفَ";
    quota_none: "No quota rule applies in this election.", "لا تنطبق أي قاعدة كوتا في هذه الانتخابات.";
    quota_all_on_votes: "Every quota minimum was met on votes alone: no replacement was needed.", "استُوفيت جميع الحدود الدنيا للكوتا بالأصوات وحدها، ولم يلزم أي استبدال.";

    reconciliation_intro: "Where a station ballot has forms of two counting phases (electronic, hand count, recount, correction), they are compared count by count. A later form never overwrites an earlier one; the differences are reported here.", "حين يكون للمحطة استمارتان من مرحلتين للعدّ (إلكتروني، يدوي، إعادة عدّ، تصحيح)، تُقارَن أرقامهما رقمًا برقم. لا تحلّ استمارة لاحقة محلّ سابقتها أبدًا، وتُعرض الفروق هنا.";
    pairs_caption: "Counting phases compared", "مراحل العدّ المقارَنة";
    col_phases: "Phases", "المرحلتان";
    col_station_ballots: "Station ballots", "المحطات";
    col_identical: "Identical", "متطابقة";
    col_within_tolerance: "Within tolerance", "ضمن الحدّ المسموح";
    col_differ: "Differ", "مختلفة";
    col_votes_changed: "Votes changed", "الأصوات المتغيّرة";
    col_largest: "Largest difference", "أكبر فرق";
    phase_against: "{0} against {1}", "{0} مقابل {1}";
    tolerance: "Tolerance: a difference of at most {0} votes in any count is within tolerance.", "الحدّ المسموح: فرق لا يتجاوز {0} في أي رقم يُعدّ ضمن الحدّ.";
    reconcile_nothing: "No station ballot has forms in two phases: there is nothing to reconcile.", "لا توجد محطة لها استمارات في مرحلتين، فلا شيء للمطابقة.";
    seats_unchanged: "No seat changes: allocating the seats from the hand counts gives the same seats as the reported count.", "لا يتغيّر أي مقعد: توزيع المقاعد من العدّ اليدوي يعطي المقاعد نفسها التي أعطاها العدّ المُعلَن.";
    seats_changed_caption: "Seats that change when the hand counts replace the reported count", "المقاعد التي تتغيّر حين يحلّ العدّ اليدوي محلّ العدّ المُعلَن";
    col_lost: "Loses the seat", "يخسر المقعد";
    col_gained: "Gains the seat", "يكسب المقعد";
    votes_change: "{0} ({1} → {2})", "{0} ({1} ← {2})";
    sum_e_below: "Sum of the overstatements e_p over the {0} station ballots set against a hand count: {1}. It is below 1, so the differences cannot overturn any winner–loser pair of an SNTV contest.", "مجموع المبالغات e_p على المحطات المقارَنة بعدّ يدوي ({0}): {1}. وهو أقل من ١، فلا تستطيع الفروق قلب أي زوج فائز–خاسر في دوائر الصوت الواحد غير المتحوّل.";
    sum_e_above: "Sum of the overstatements e_p over the {0} station ballots set against a hand count: {1}. It is not below 1: the differences could overturn a winner–loser pair; the seats above are the answer.", "مجموع المبالغات e_p على المحطات المقارَنة بعدّ يدوي ({0}): {1}. وهو ليس أقل من ١، فقد تقلب الفروق زوجًا فائزًا–خاسرًا؛ والمقاعد أعلاه هي الجواب.";
    tied_pairs: "Winner–loser pairs with a margin of 0, left out of the sum: {0}.", "أزواج فائز–خاسر هامشها صفر، مستبعدة من المجموع: {0}.";
    differing_caption: "Station ballots whose phases differ, largest difference first", "المحطات التي تختلف مراحل عدّها، الأكبر فرقًا أولًا";
    differing_none: "No station ballot differs between its phases.", "لا تختلف أي محطة بين مراحل عدّها.";
    differing_cut: "Showing {0} of {1}; `psephos reconcile {2} --format csv` lists them all.", "معروض {0} من {1}؛ والأمر `psephos reconcile {2} --format csv` يسردها كلها.";
    col_station: "Station", "المحطة";
    col_class: "Class", "التصنيف";
    class_within: "within tolerance", "ضمن الحدّ المسموح";
    class_discrepant: "beyond tolerance", "خارج الحدّ المسموح";
    col_ballots_found: "Ballots found", "أوراق الاقتراع";
    col_differences: "Differences", "الفروق";
    from_to: "{0} → {1}", "{0} ← {1}";

    audit_not_found: "No audit plan was found ({0}). `psephos audit plan` writes one; `psephos demo` writes audit-plan.json beside its package.", "لم يُعثر على خطة تدقيق ({0}). الأمر `psephos audit plan` يكتبها، والأمر `psephos demo` يكتب audit-plan.json بجانب الحزمة.";
    audit_unreadable: "The audit state file {0} could not be read: {1}", "تعذّرت قراءة ملف حالة التدقيق {0}: {1}";
    audit_intro: "A risk-limiting audit hand counts a random sample of stations drawn from a seed rolled in public, and stops when the sample confirms every outcome at the risk limit; otherwise it escalates, up to a full hand count.", "يعدّ التدقيق المحدِّد للمخاطر يدويًا عيّنةً عشوائية من المحطات تُسحب ببذرة تُرمى علنًا، ويتوقف حين تؤكد العيّنة كل نتيجة ضمن حدّ المخاطرة، وإلا يتوسّع حتى العدّ اليدوي الكامل.";
    audit_file: "State file", "ملف حالة التدقيق";
    audit_method: "Method", "الطريقة";
    audit_method_macro: "MACRO: whole stations compared with their reported counts, drawn with probability proportional to their error bound", "ماكرو (MACRO): محطات كاملة تُقارَن بأرقامها المُعلَنة، وتُسحب باحتمال يتناسب مع حدّ خطئها";
    audit_method_bravo: "BRAVO: ballot polling, single ballots drawn from every station", "برافو (BRAVO): سحب أوراق اقتراع مفردة من جميع المحطات";
    audit_risk_limit: "Risk limit", "حدّ المخاطرة";
    audit_seed: "Public seed", "البذرة العامة";
    audit_seed_none: "not drawn yet", "لم تُسحب بعد";
    audit_rounds: "Rounds drawn", "الجولات المسحوبة";
    audit_counts: "Contests by status: {0}.", "الدوائر حسب الحالة: {0}.";
    audit_caption: "Audit plan and status by contest", "خطة التدقيق وحالته حسب الدائرة";
    col_status: "Status", "الحالة";
    col_stations: "Stations", "المحطات";
    col_round_1: "Round-1 draws", "سحوبات الجولة الأولى";
    col_smallest_margin: "Smallest margin", "أصغر هامش";
    col_assessment: "Latest assessment (risk)", "آخر تقييم (المخاطرة)";
    status_audit: "to audit", "للتدقيق";
    status_full: "full hand count", "عدّ يدوي كامل";
    status_uncontested: "uncontested", "بلا منافسة";
    status_confirmed: "confirmed", "مؤكَّدة";
    status_continue: "another round", "جولة أخرى";
    audit_round: "round {0}", "الجولة {0}";
    audit_skipped: "Not audited: {0}.", "غير مشمولة بالتدقيق: {0}.";
    audit_next_draw: "Next step: `psephos audit draw {0} {1} --seed SEED`, with a seed rolled in public.", "الخطوة التالية: `psephos audit draw {0} {1} --seed SEED` ببذرة تُرمى علنًا.";
    audit_verify: "Anyone can replay the audit: `psephos audit verify {0} {1}`.", "يمكن لأي أحد إعادة التدقيق: `psephos audit verify {0} {1}`.";
    rounds_caption: "Rounds", "الجولات";
    col_round: "Round", "الجولة";
    col_drawn_stations: "Stations to hand count", "المحطات المطلوب عدّها يدويًا";
    col_assessed: "Assessed", "مُقيَّمة";
    yes: "yes", "نعم";
    no: "no", "لا";

    forensics_intro: "Statistical screens of the station results for signs of manipulation. Each test states its null model and assumptions beside its result, and the p-values are Holm-adjusted across the battery. A small p-value says that a pattern is unlikely under the null model, not who made it or why: flagged stations are candidates for a targeted audit, never proof.", "فحوص إحصائية لنتائج المحطات بحثًا عن علامات تلاعب. يذكر كل اختبار نموذج العدم وافتراضاته بجانب نتيجته، وتُعدَّل قيم p بطريقة هولم على مجموعة الاختبارات. قيمة p الصغيرة تعني أن النمط غير مرجّح في ظل نموذج العدم، لا مَن صنعه ولا لماذا: المحطات المؤشَّر عليها مرشّحة لتدقيق موجَّه، وليست دليلًا أبدًا.";
    forensics_not_run: "The forensic battery did not run: it needs parties (to find the leading party) and counted stations.", "لم تُجرَ الفحوص الجنائية: فهي تحتاج إلى أحزاب (لتحديد الحزب المتصدّر) وإلى محطات معدودة.";
    stations_read: "Stations read", "المحطات المقروءة";
    stations_tested: "Stations in the integer-percentage test", "المحطات في اختبار النسب الصحيحة";
    leader: "Leading party (its share is tested)", "الحزب المتصدّر (تُختبر حصته)";
    tests_caption: "The battery: each test with its null model and assumptions", "مجموعة الاختبارات: كل اختبار مع نموذج العدم وافتراضاته";
    col_test: "Test", "الاختبار";
    col_statistic: "Statistic", "الإحصائية";
    col_p: "p", "قيمة p";
    col_p_holm: "p (Holm)", "قيمة p (هولم)";
    col_effect: "Effect [95 % interval]", "الأثر [فترة ٩٥٪]";
    col_effect_is: "The effect measures", "ما يقيسه الأثر";
    col_assumptions: "Null model and assumptions", "نموذج العدم والافتراضات";
    outside_battery: "outside the battery", "خارج المجموعة";
    test_integer_percentages: "Integer percentages (Kobak et al.)", "النسب المئوية الصحيحة (كوباك وزملاؤه)";
    test_last_digit_ballots_issued: "Last digit of the ballots issued", "الرقم الأخير لأوراق الاقتراع المُسلَّمة";
    test_last_digit_leader_votes: "Last digit of the leader's votes", "الرقم الأخير لأصوات المتصدّر";
    test_protocol_arithmetic: "Protocol arithmetic", "حساب المحضر";
    test_cross_contest_consistency: "Ballot papers agree", "اتساق أوراق الاقتراع المنفصلة";
    effect_integer_percentages: "excess stations with an integer turnout or leader share", "فائض المحطات ذات نسبة مشاركة أو حصة متصدّر صحيحة";
    effect_last_digit: "share of counts ending in 0 or 5, observed minus expected", "نسبة الأرقام المنتهية بـ ٠ أو ٥، الملاحَظة ناقص المتوقَّعة";
    effect_protocol_arithmetic: "ballots found beyond ballots issued, summed over those stations", "أوراق الاقتراع الزائدة على المُسلَّمة، مجموعةً على تلك المحطات";
    effect_cross_contest_consistency: "stations whose separate ballot papers report different numbers of ballots found", "المحطات التي تختلف فيها أعداد أوراق الاقتراع بين أوراقها المنفصلة";
    assumptions_integer_percentages: "Null: each station's ballots issued are redrawn from Bin(registered, issued/registered) and its leader votes from Bin(found, leader/found), independently; denominators are kept, so small or even denominators are part of the null. Stations included by Kobak et al.'s rule (ballots found, at least 100 registered, turnout and leader share at most 99 %). Integer: within 0.05 percentage points of a whole percentage. p-value: refined normal approximation to the exact Poisson-binomial. An excess shows that round percentages were reported more often than chance allows; it does not say where or why.", "العدم: تُعاد قرعة أوراق الاقتراع المُسلَّمة في كل محطة من Bin(المسجّلون، المُسلَّمة/المسجّلون) وأصوات المتصدّر من Bin(الموجودة، المتصدّر/الموجودة) باستقلال؛ وتبقى المقامات كما هي، فالمقامات الصغيرة أو الزوجية جزء من العدم. تُشمل المحطات بقاعدة كوباك وزملائه (فيها أوراق اقتراع، ١٠٠ مسجّل على الأقل، المشاركة وحصة المتصدّر لا تتجاوزان ٩٩٪). النسبة الصحيحة: ضمن ٠٫٠٥ نقطة مئوية من نسبة مئوية كاملة. قيمة p: تقريب طبيعي محسَّن لتوزيع بواسون-ذي الحدين الدقيق. يدل الفائض على أن النسب المستديرة أُبلغ عنها أكثر مما تسمح به الصدفة، ولا يقول أين ولا لماذا.";
    assumptions_last_digit: "Null: each station's count is redrawn from Bin(trials, count/trials) with its own trials and rate; counts of at least the cut are kept, in the data and in the null alike; the expected digit frequencies are scaled to the counts kept. Stations are never selected by the digit. p-value: Pearson's chi-squared with 9 degrees of freedom; round numbers (0 or 5): binomial z. Counts: {0}; cut {1}.", "العدم: يُعاد سحب رقم كل محطة من Bin(المحاولات، الرقم/المحاولات) بمحاولاتها ومعدّلها؛ وتُبقى الأرقام التي لا تقل عن حدّ القطع في البيانات وفي العدم على السواء؛ وتُقاس تكرارات الأرقام المتوقَّعة على الأرقام المُبقاة. لا تُختار المحطات أبدًا بحسب الرقم. قيمة p: كاي تربيع لبيرسون بتسع درجات حرية؛ الأرقام المستديرة (٠ أو ٥): z ذو الحدين. الأرقام: {0}؛ حدّ القطع {1}.";
    counts_ballots_issued: "ballots issued of registered voters", "أوراق الاقتراع المُسلَّمة من الناخبين المسجّلين";
    counts_leader_votes: "leader votes of ballots found", "أصوات المتصدّر من أوراق الاقتراع الموجودة";
    assumptions_protocol_arithmetic: "Deterministic: every ballot found in a box was issued, so found ≤ issued at every station. A difference can be a clerical error or ballots added; the check says where to look. The stations of a package record ballots found only, so this check finds nothing there.", "حتمي: كل ورقة في الصندوق سُلِّمت لناخب، فالموجودة ≤ المُسلَّمة في كل محطة. قد يكون الفرق خطأً كتابيًا أو أوراقًا مضافة؛ والفحص يدلّ على موضع البحث. محطات الحزمة تسجّل الأوراق الموجودة فقط، فلا يجد هذا الفحص فيها شيئًا.";
    assumptions_cross_contest_consistency: "Deterministic: every voter receives every ballot paper of the station, so the papers' ballots found should agree. Stations with one paper are not compared.", "حتمي: يتسلّم كل ناخب جميع أوراق الاقتراع في المحطة، فيجب أن تتفق أعداد الأوراق الموجودة بينها. لا تُقارَن المحطات ذات الورقة الواحدة.";
    integer_detail: "Integer percentages: {0} stations observed, {1} expected, excess {2} (z {3}).", "النسب الصحيحة: الملاحَظ {0} محطة، والمتوقَّع {1}، والفائض {2} (z = {3}).";
    regions_flagged: "Regions with an integer-percentage excess at a false discovery rate of 5 % (Benjamini–Hochberg): {0}.", "مناطق فيها فائض في النسب الصحيحة عند معدّل اكتشاف خاطئ ٥٪ (بنجاميني–هوخبرغ): {0}.";
    regions_none: "No region shows an integer-percentage excess at a false discovery rate of 5 % (Benjamini–Hochberg).", "لا تُظهر أي منطقة فائضًا في النسب الصحيحة عند معدّل اكتشاف خاطئ ٥٪ (بنجاميني–هوخبرغ).";
    region_z: "{0} (z {1})", "{0} (z = {1})";
    flagged_caption: "Stations with a whole-percentage turnout or leader share, least likely under their own null first ({0} flagged, the first {1} shown): for audit targeting, not proof", "محطات ذات نسبة مشاركة أو حصة متصدّر صحيحة، الأقل احتمالًا في ظل عدمها أولًا (المؤشَّر عليها {0}، المعروض أول {1}): لتوجيه التدقيق، لا دليلًا";
    flagged_none: "No station has a whole-percentage turnout or leader share.", "لا توجد محطة ذات نسبة مشاركة أو حصة متصدّر صحيحة.";
    col_region: "Region", "المنطقة";
    col_whole_in: "Whole percentage in", "النسبة الصحيحة في";
    col_leader_share: "Leader's share", "حصة المتصدّر";
    col_null_probability: "Probability under the null", "الاحتمال في ظل العدم";
    whole_both: "turnout and leader share", "المشاركة وحصة المتصدّر";
    whole_turnout: "turnout", "المشاركة";
    whole_share: "leader share", "حصة المتصدّر";
    fingerprint_title: "Election fingerprint: stations by turnout and the leader's share, 1 % cells (descriptive)", "البصمة الانتخابية: المحطات حسب المشاركة وحصة المتصدّر، خلايا ١٪ (وصفي)";
    fingerprint_desc: "Darker cells hold more stations, on a logarithmic scale. A clean election draws one compact blob; ballot stuffing drags a smear toward 100 % turnout and 100 % share, and fixed targets show as lines at round percentages.", "الخلايا الأغمق فيها محطات أكثر، بمقياس لوغاريتمي. الانتخابات النظيفة ترسم كتلة واحدة متماسكة؛ وحشو الصناديق يجرّ لطخة نحو مشاركة ١٠٠٪ وحصة ١٠٠٪، والأهداف المفروضة تظهر خطوطًا عند النسب المستديرة.";
    turnout_histogram_title: "Turnout, 0.1 % bins; a thin line marks each whole percentage (descriptive)", "المشاركة، فئات ٠٫١٪؛ خط رفيع عند كل نسبة مئوية كاملة (وصفي)";
    share_histogram_title: "Leader's share, 0.1 % bins; a thin line marks each whole percentage (descriptive)", "حصة المتصدّر، فئات ٠٫١٪؛ خط رفيع عند كل نسبة مئوية كاملة (وصفي)";
    histogram_desc: "Bars count the stations in each 0.1 % bin. Spikes on the whole-percentage lines would mean that round figures were reported more often than counting produces.", "تعدّ الأعمدة المحطات في كل فئة ٠٫١٪. القمم على خطوط النسب الكاملة تعني أن أرقامًا مستديرة أُبلغ عنها أكثر مما ينتجه العدّ.";
    axis_turnout: "Turnout (%)", "المشاركة (٪)";
    axis_share: "Leader's share (%)", "حصة المتصدّر (٪)";
    axis_stations: "Stations", "المحطات";

    ledger_not_found: "No ledger was found ({0}). Once the ledger (`psephos ledger`) publishes every accepted form in its append-only signed log, this section shows its latest checkpoint and how to verify it.", "لم يُعثر على سجلّ ({0}). حين ينشر السجلّ (`psephos ledger`) كل استمارة مقبولة في سجلّه الموقَّع غير القابل للتعديل، يعرض هذا القسم آخر نقطة تحقّق فيه وطريقة التحقّق منها.";
    ledger_unreadable: "The ledger's checkpoint {0} could not be read: {1}", "تعذّرت قراءة نقطة تحقّق السجلّ {0}: {1}";
    ledger_checkpoint: "The latest signed checkpoint of the ledger in {0}: the log's origin, size and root hash, signed.", "آخر نقطة تحقّق موقَّعة في السجلّ {0}: منشأ السجلّ وحجمه وجذر التجزئة، موقَّعة.";
    ledger_verify: "To check every signature, every total and every seat against the signed forms, and that no record was altered, dropped or added after the fact: `psephos verify {0}`.", "للتحقّق من كل توقيع وكل مجموع وكل مقعد مقابل الاستمارات الموقَّعة، ومن أن أي سجلّ لم يُعدَّل أو يُحذف أو يُضف لاحقًا: `psephos verify {0}`.";
    checkpoint_label: "Checkpoint", "نقطة التحقّق";

    about_generated: "Written by {0} with {1}. The same package, forms and options give the same file, byte for byte: the report holds no clock time and nothing random.", "كتبه {0} بالأمر {1}. الحزمة نفسها والاستمارات والخيارات نفسها تعطي الملف نفسه حرفًا بحرف: لا يحوي التقرير وقتًا ولا عنصرًا عشوائيًا.";
    about_offline: "This file is self-contained: it loads nothing from the network, runs no script, and prints with one district per page.", "هذا الملف مكتفٍ بذاته: لا يحمّل شيئًا من الشبكة، ولا يشغّل أي برنامج نصي، ويُطبع بدائرة واحدة في كل صفحة.";
    about_numbers: "Numbers are written with Western digits, a comma between thousands and a point before decimals.", "تُكتب الأرقام بالأرقام الهندية (٠١٢٣٤٥٦٧٨٩) كما في الوثائق الرسمية العراقية، بفاصل الآلاف «٬» والفاصلة العشرية «٫» وعلامة النسبة «٪».";
    about_names: "Names of candidates, parties and places are shown as the election package writes them, in their own script.", "تُعرض أسماء المرشحين والأحزاب والأماكن كما تكتبها حزمة الانتخابات، بخطّها الأصلي.";
}

/// The labels of a language.
pub fn labels(lang: crate::Lang) -> &'static Labels {
    match lang {
        crate::Lang::En => &EN,
        crate::Lang::Ar => &AR,
    }
}

/// Fills `{0}`, `{1}`, ... in `template` with `args` (plain text: no escaping here).
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| Some((close, after[..close].parse::<usize>().ok()?)))
        {
            Some((close, k)) => {
                out.push_str(args.get(k).copied().unwrap_or(""));
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills a template as HTML: the template's text is escaped, text between backticks becomes
/// `<code>` (left to right: a command), and `args` are inserted as they are (the caller
/// escapes them or passes markup it built).
pub fn fill_html(template: &str, args: &[&str]) -> String {
    let mut escaped = String::new();
    let mut in_code = false;
    for (i, part) in template.split('`').enumerate() {
        if i > 0 {
            escaped.push_str(if in_code { "</code>" } else { "<code dir=\"ltr\">" });
            in_code = !in_code;
        }
        escaped.push_str(&crate::svg::escape(part));
    }
    if in_code {
        escaped.push_str("</code>");
    }
    fill(&escaped, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .match_indices('{')
            .filter_map(|(i, _)| {
                let rest = &s[i + 1..];
                let close = rest.find('}')?;
                rest[..close].parse::<usize>().ok().map(|k| k.to_string())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn both_languages_have_the_same_placeholders_and_commands() {
        for (name, en, ar) in ALL {
            assert_eq!(placeholders(en), placeholders(ar), "label {name}");
            assert!(!ar.trim().is_empty() && !en.trim().is_empty(), "label {name}");
            let code =
                |s: &str| s.split('`').skip(1).step_by(2).map(str::to_owned).collect::<Vec<_>>();
            assert_eq!(code(en), code(ar), "commands of label {name}");
        }
    }

    #[test]
    fn arabic_labels_are_arabic() {
        // Every Arabic label with words has Arabic letters (not only names and commands).
        for (name, en, ar) in ALL {
            // A word: two letters or more (a lone `z` or `p` is a symbol).
            let words = fill(en, &[])
                .split('`')
                .step_by(2)
                .any(|s| s.split(|c: char| !c.is_alphabetic()).any(|w| w.chars().count() >= 2));
            if !words {
                continue;
            }
            assert!(
                ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "label {name}: {ar}"
            );
        }
    }

    #[test]
    fn filling() {
        assert_eq!(fill("{0} of {1}", &["3", "4"]), "3 of 4");
        assert_eq!(fill("{1}{0}{9}", &["a", "b"]), "ba");
        assert_eq!(fill("{x} {", &[]), "{x} {");
        assert_eq!(
            fill_html("run `a <b>` on {0}", &["<i>x</i>"]),
            "run <code dir=\"ltr\">a &lt;b&gt;</code> on <i>x</i>"
        );
    }
}
