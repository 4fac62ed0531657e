/*
 * Tests of src/intake/demonym.c (issue 22 item 2): a nisba or demonym adjective names its
 * country (mention via demonym) and, with a state head, that state's body; a people noun, a
 * person's name and an organisation's name do not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "intake_test.h"

static void test_arabic_adjective(void **state)
{
    (void)state;
    expect_via("أعلن الجيش المالي مقتل عشرة مسلحين.", "country-ml", "المالي", INTAKE_VIA_DEMONYM);
    expect_key("أعلن الجيش المالي مقتل عشرة مسلحين.", "body-ml-armed-forces");
    expect_via("قالت مصادر ليبية إن الهدوء عاد.", "country-ly", "ليبية", INTAKE_VIA_DEMONYM);
    expect_via("قتل ثلاثة جنود عراقيين قرب كركوك.", "country-iq", "عراقيين", INTAKE_VIA_DEMONYM);
    expect_via("عاد اللاجئون إلى القرى السورية الحدودية.", "country-sy", "السورية",
               INTAKE_VIA_DEMONYM);
    /* with a clitic on the head and on the nisba */
    expect_key("طلب رسمي للسلطات الجزائرية", "body-dz-government");
    expect_via("طلب رسمي للسلطات الجزائرية", "country-dz", "الجزائرية", INTAKE_VIA_DEMONYM);
    /* the trap of the issue: الساحل الليبي is the Libyan coast, named by its adjective */
    expect_via("البلديات الواقعة على الساحل الليبي", "country-ly", "الليبي", INTAKE_VIA_DEMONYM);
    expect_none("البلديات الواقعة على الساحل الليبي", "region-sahel");
}

static void test_arabic_not_adjective(void **state)
{
    (void)state;
    /* people nouns: the subject of a verb, after a preposition, joined to another */
    expect_none("احتفل المغاربة بالفوز وقال الجزائريون إن المباراة كانت صعبة.", NULL);
    expect_none("تجري الاتصالات بين الأمريكيين والجزائريين منذ سنوات.", NULL);
    /* an idafa, not an adjective: the ministry of finance; financial support */
    expect_none("أعلنت وزارة المالية تخصيص مبالغ جديدة.", "country-ml");
    expect_none("قدمت الحكومة دعما ماليا ودعم مالي إضافي للبلديات.", "country-ml");
    /* a person's name */
    expect_none("قتل عدنان أبو وليد الصحراوي في غارة.", "country-eh");
    expect_none("قتل عدنان أبو وليد الصحراوي في غارة.", "region-sahara");
}

static void test_english(void **state)
{
    (void)state;
    expect_via("Algerian troops intercepted a convoy.", "country-dz", "Algerian",
               INTAKE_VIA_DEMONYM);
    expect_key("Algerian troops intercepted a convoy.", "body-dz-armed-forces");
    expect_via("Smugglers crossed the Libyan border at night.", "country-ly", "Libyan",
               INTAKE_VIA_DEMONYM);
    expect_key("Rwandan and Mozambican troops retook the port.", "body-rw-armed-forces");
    expect_key("Rwandan and Mozambican troops retook the port.", "body-mz-armed-forces");
    expect_via("Somali National Army troops entered the town.", "country-so", "Somali",
               INTAKE_VIA_DEMONYM);
    /* not adjectives of a place: a people noun, a name, an organisation */
    expect_none("Algerians and Moroccans watched the final together.", NULL);
    expect_none("Adnan Abu Walid al-Sahrawi was killed in a strike.", "country-eh");
    expect_none("Turkish Airlines resumed its flights; the Syrian Observatory for Human Rights "
                "reported clashes.",
                NULL);
}

static void test_french(void **state)
{
    (void)state;
    expect_via("L'armée malienne a repris la ville.", "country-ml", "malienne", INTAKE_VIA_DEMONYM);
    expect_key("L'armée malienne a repris la ville.", "body-ml-armed-forces");
    expect_key("Les forces de sécurité irakiennes ont tué un chef.", "body-iq-security-services");
    expect_via("Des tirs ont visé la frontière turque.", "country-tr", "turque",
               INTAKE_VIA_DEMONYM);
    /* a people noun is capitalised in French; an organisation's name too */
    expect_none("Les Maliens de la diaspora ont manifesté ; des Sénégalais aussi.", NULL);
    expect_none("La Fédération algérienne de football et l'Observatoire syrien des droits de "
                "l'homme ont publié un communiqué.",
                NULL);
}

/* The bundle says how the country was named. */
static void test_bundle_via(void **state)
{
    (void)state;
    const char *text = "Algerian troops intercepted a convoy.";
    struct dbuf out;
    dbuf_init(&out, 1 << 20);
    struct lia_err err = {0};
    struct intake_options opt = {.lang = INTAKE_LANG_AUTO};
    assert_int_equal(intake_extract(G, text, strlen(text), &opt, &out, &err), 0);
    assert_non_null(strstr(out.ptr, "\"text\":\"Algerian\",\"via\":\"demonym\""));
    dbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arabic_adjective), cmocka_unit_test(test_arabic_not_adjective),
        cmocka_unit_test(test_english),          cmocka_unit_test(test_french),
        cmocka_unit_test(test_bundle_via),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
